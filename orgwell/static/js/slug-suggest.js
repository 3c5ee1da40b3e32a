// Suggests an organisation's web address (slug) from its name as the name is typed, until
// the person edits the address themselves. The server checks it and suggests a free one.
(function () {
  'use strict';
  var slug = document.querySelector('input[data-suggest-from]');
  if (!slug) { return; }
  var source = document.getElementById(slug.getAttribute('data-suggest-from'));
  if (!source) { return; }
  var edited = slug.value !== '';

  function slugify(text) {
    return text.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase()
      .replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 56).replace(/-+$/, '');
  }

  slug.addEventListener('input', function () { edited = slug.value !== ''; });
  source.addEventListener('input', function () {
    if (!edited) { slug.value = slugify(source.value); }
  });
})();
