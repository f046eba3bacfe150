/* newsarchive: Arabic words for the column menu that Datasette's table.js builds on
   table pages (it writes English into the page at load; this runs after it, on
   DOMContentLoaded, which waits for deferred scripts). */
document.addEventListener("DOMContentLoaded", function () {
  var words = {
    "dropdown-sort-asc": "ترتيب تصاعدي",
    "dropdown-sort-desc": "ترتيب تنازلي",
    "dropdown-facet": "تجميع حسب هذا العمود",
    "dropdown-hide-column": "إخفاء هذا العمود",
    "dropdown-show-all-columns": "الأعمدة المعتادة",
    "dropdown-not-blank": "الصفوف غير الخالية فقط"
  };
  Object.keys(words).forEach(function (name) {
    document.querySelectorAll(".dropdown-menu a." + name).forEach(function (link) {
      link.textContent = words[name];
    });
  });
});
