// The search box's completions: as the reader types, ask /suggest for
// phrases of the indexed titles and offer them in the box's datalist.
// The page works the same without this script.
(function () {
  "use strict";
  var box = document.querySelector('input[name="q"]');
  var list = document.getElementById("vn-suggest");
  if (!box || !list || !window.fetch) return;
  var timer = 0, asked = "", ctl = null;
  box.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () {
      var q = box.value;
      if (q === asked) return;
      asked = q;
      if (ctl) ctl.abort();
      if (q.trim().length < 2) { list.replaceChildren(); return; }
      ctl = new AbortController();
      fetch("/suggest?n=8&q=" + encodeURIComponent(q), { signal: ctl.signal })
        .then(function (r) { return r.ok ? r.json() : { suggestions: [] }; })
        .then(function (c) {
          if (c.prefix !== box.value) return; // the reader typed on
          list.replaceChildren.apply(list, c.suggestions.map(function (s) {
            var o = document.createElement("option");
            o.value = s.text;
            return o;
          }));
        })
        .catch(function () {});
    }, 120);
  });
})();
