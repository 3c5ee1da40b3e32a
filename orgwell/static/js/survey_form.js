// Survey form, progressive enhancement only: the form works without this file.
// - keeps each scale's "answered N of M" line up to date as radios are chosen;
// - after the first submit, disables the send buttons so a double click sends once
//   (the server stores one response per link whatever happens; this only spares a page).
(function () {
  'use strict';
  var form = document.querySelector('form.survey-form');
  if (!form) { return; }

  function refresh(section) {
    var items = section.querySelectorAll('fieldset.survey-item');
    var answered = 0;
    items.forEach(function (item) {
      if (item.querySelector('input[type=radio]:checked')) { answered += 1; }
    });
    var status = section.querySelector('[data-scale-status]');
    if (!status) { return; }
    var needed = parseInt(status.getAttribute('data-min-answered'), 10) || 0;
    var text = answered + ' of ' + items.length + ' answered';
    if (answered < needed) {
      text += ' (at least ' + needed + ' needed for a score)';
      status.classList.remove('is-complete');
    } else {
      status.classList.add('is-complete');
    }
    status.textContent = text;
  }

  // After a refused send, take keyboard and screen-reader users straight to the reasons.
  var problems = document.getElementById('form-problems');
  if (problems) { problems.focus(); }

  form.querySelectorAll('section.survey-scale').forEach(function (section) {
    refresh(section);
    section.addEventListener('change', function () { refresh(section); });
  });

  form.addEventListener('submit', function () {
    // Let the browser collect the clicked button's name first, then disable.
    window.setTimeout(function () {
      form.querySelectorAll('button[type=submit]').forEach(function (button) {
        button.disabled = true;
      });
    }, 0);
  });
})();
