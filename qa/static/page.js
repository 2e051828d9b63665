() => {
  // __UI_TEXT__ is replaced by qa/data/ui_zh.json when the page is built (qa.ui.page_assets).
  const TEXT = __UI_TEXT__;

  // Citation and card links point at paragraphs on the 原文 tab: switch to it, scroll there once it is shown,
  // and mark the answering sentence (data-sentence) inside the paragraph.
  const markSentence = (el, sentence) => {
    el.querySelectorAll("mark.qa-hit").forEach((m) => m.replaceWith(...m.childNodes));
    el.normalize();
    if (!sentence) return null;
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT, {
      acceptNode: (n) => (n.parentElement.closest(".qa-pid") ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT),
    });
    const nodes = [];
    let text = "";
    for (let n = walker.nextNode(); n; n = walker.nextNode()) { nodes.push([n, text.length]); text += n.data; }
    const at = text.indexOf(sentence);
    if (at < 0) return null;
    const find = (offset) => {
      for (let i = nodes.length - 1; i >= 0; i--) if (nodes[i][1] <= offset) return [nodes[i][0], offset - nodes[i][1]];
    };
    const range = document.createRange();
    range.setStart(...find(at));
    range.setEnd(...find(at + sentence.length - 1)); range.setEnd(range.endContainer, range.endOffset + 1);
    const mark = document.createElement("mark");
    mark.className = "qa-hit";
    mark.appendChild(range.extractContents());
    range.insertNode(mark);
    return mark;
  };
  document.addEventListener("click", (event) => {
    const link = event.target.closest && event.target.closest('a[href^="#para-"]');
    if (!link) return;
    event.preventDefault();
    const [id, hl] = link.getAttribute("href").slice(1).split("?hl=");
    const sentence = hl ? decodeURIComponent(hl) : "";
    const tab = [...document.querySelectorAll('button[role="tab"]')].find((b) => b.textContent.includes("原文"));
    if (tab) tab.click();
    let tries = 0;
    const go = () => {
      const el = document.getElementById(id);
      if (el && el.offsetParent !== null) {
        const mark = markSentence(el, sentence);
        (mark || el).scrollIntoView({ block: "center" });
        el.classList.add("qa-flash");
        setTimeout(() => el.classList.remove("qa-flash"), 2500);
      } else if (tries++ < 60) setTimeout(go, 50);
    };
    go();
  });

  // A new answer is scrolled to its top (with the question above it), not to the end of its citations.
  const scroller = (el) => {
    for (let p = el.parentElement; p; p = p.parentElement) {
      const style = getComputedStyle(p).overflowY;
      if ((style === "auto" || style === "scroll") && p.scrollHeight > p.clientHeight) return p;
    }
    return null;
  };
  let answers = 0;
  const showNewAnswer = () => {
    const all = document.querySelectorAll("#qa-chat .qa-answer");
    if (all.length <= answers) { answers = all.length; return; }
    answers = all.length;
    const answer = all[all.length - 1];
    const questions = document.querySelectorAll("#qa-chat [data-testid=user]");
    const question = questions[questions.length - 1];
    const box = scroller(answer);
    if (box) {  // the question above its answer when both fit, else the answer's first line at the top
      const boxTop = box.getBoundingClientRect().top;
      const fromQuestion = question ? question.getBoundingClientRect().top - boxTop - 8 : Infinity;
      const fromAnswer = answer.getBoundingClientRect().top - boxTop - 8;
      box.scrollTop += fromAnswer - fromQuestion < box.clientHeight / 3 ? fromQuestion : fromAnswer;
    }
    const top = answer.getBoundingClientRect().top;
    if (top < 0 || top > window.innerHeight - 120) window.scrollBy(0, top - 120);
  };

  // What Gradio draws in English (toast headers, some button labels) and the chat's message labels, which
  // carried the answer's raw HTML to screen readers: plain Chinese text instead.
  const plain = (el) => (el.innerText || el.textContent || "").replace(/\s+/g, " ").trim().slice(0, 300);
  const fix = () => {
    document.querySelectorAll("[aria-label], [title]").forEach((el) => {
      for (const attr of ["aria-label", "title"]) {
        const value = el.getAttribute(attr);
        if (!value) continue;
        if (TEXT.labels[value] && TEXT.labels[value] !== value) el.setAttribute(attr, TEXT.labels[value]);
        else if (attr === "aria-label" && /'s message: /.test(value)) {
          const who = value.startsWith("user") ? "问题：" : "回答：";
          const label = who + plain(el);
          if (value !== label) el.setAttribute(attr, label);
        }
      }
    });
    document.querySelectorAll(".toast-title").forEach((el) => {
      const kind = ["info", "warning", "error", "success"].find((k) => el.classList.contains(k));
      const node = [...el.childNodes].find((n) => n.nodeType === 3 && n.data.trim());
      if (kind && node && node.data.trim() !== TEXT.toast[kind]) node.data = TEXT.toast[kind] + " ";
    });
  };
  let queued = false;
  new MutationObserver(() => {
    if (queued) return;
    queued = true;
    requestAnimationFrame(() => { queued = false; fix(); showNewAnswer(); });
  }).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true,
                              attributeFilter: ["aria-label", "title"] });
  fix();
}
