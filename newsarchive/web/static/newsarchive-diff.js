/* newsarchive: the word diffs' folds (<details class="keep-open">) stay as the reader left
   them. Datasette 0.65 (_close_open_menus.html) closes every open <details> on a click
   anywhere else, meant for its menus: a click in one diff folded all the others, and
   unfolding unchanged text inside a diff folded the diff itself. The open folds are noted
   before that handler runs (capture, on document) and reopened after it (bubbling, on
   window), but for the one whose own summary was clicked. */
(() => {
  let keep = [];
  document.addEventListener("click", (event) => {
    const summary = event.target instanceof Element ? event.target.closest("summary") : null;
    const toggled = summary ? summary.parentElement : null;
    keep = Array.from(document.querySelectorAll("details.keep-open[open]")).filter(
      (details) => details !== toggled
    );
  }, true);
  window.addEventListener("click", () => {
    keep.forEach((details) => { details.open = true; });
    keep = [];
  });
})();
