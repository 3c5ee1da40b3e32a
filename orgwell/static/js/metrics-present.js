// Presentation mode: one slide at a time, moved with the arrow keys (also Page Up/Down,
// Space, Home, End) or the on-screen buttons; the slide number is kept in the address
// (#slide-3) so a reload stays put. The report file starts as a scrolling document and
// switches into presentation mode with its "Present" button (Escape leaves it).
(function () {
  'use strict';
  var deck = document.getElementById('deck');
  if (!deck) { return; }
  var slides = Array.prototype.slice.call(deck.querySelectorAll('.slide'));
  var counter = deck.querySelector('[data-slide-counter]');
  var startsAsDocument = deck.getAttribute('data-mode') === 'document';
  var current = 0;

  function presenting() { return deck.getAttribute('data-mode') === 'present'; }

  function figures() { return window.OrgWellFigures; }

  function show(index, updateHash) {
    current = Math.max(0, Math.min(slides.length - 1, index));
    slides.forEach(function (slide, i) {
      var active = i === current;
      slide.hidden = presenting() && !active;
      slide.classList.toggle('is-current', active);
      slide.setAttribute('aria-hidden', presenting() && !active ? 'true' : 'false');
    });
    if (counter) { counter.textContent = (current + 1) + ' / ' + slides.length; }
    deck.setAttribute('data-current', String(current + 1));
    var prev = deck.querySelector('[data-slide="prev"]');
    var next = deck.querySelector('[data-slide="next"]');
    if (prev) { prev.disabled = current === 0; }
    if (next) { next.disabled = current === slides.length - 1; }
    if (figures()) {
      figures().render(slides[current]);
      figures().resize(slides[current]);
    }
    if (updateHash && presenting() && window.history && window.history.replaceState) {
      window.history.replaceState(null, '', '#slide-' + (current + 1));
    }
  }

  function fromHash() {
    var match = /^#slide-(\d+)$/.exec(window.location.hash || '');
    return match ? parseInt(match[1], 10) - 1 : 0;
  }

  function setMode(mode) {
    deck.setAttribute('data-mode', mode);
    document.body.classList.toggle('is-presenting', mode === 'present');
    show(current, true);
    if (mode === 'document') {
      slides.forEach(function (slide) { slide.hidden = false; });
      if (figures()) { figures().render(deck); figures().resize(deck); }
    }
  }

  document.addEventListener('keydown', function (event) {
    if (!presenting() || event.altKey || event.ctrlKey || event.metaKey) { return; }
    var target = event.target;
    if (target && /^(INPUT|SELECT|TEXTAREA)$/.test(target.tagName)) { return; }
    var key = event.key;
    if (key === 'ArrowRight' || key === 'PageDown' || key === ' ' || key === 'ArrowDown') {
      show(current + 1, true);
    } else if (key === 'ArrowLeft' || key === 'PageUp' || key === 'ArrowUp') {
      show(current - 1, true);
    } else if (key === 'Home') {
      show(0, true);
    } else if (key === 'End') {
      show(slides.length - 1, true);
    } else if (key === 'Escape' && startsAsDocument) {
      setMode('document');
    } else {
      return;
    }
    event.preventDefault();
  });

  deck.addEventListener('click', function (event) {
    var button = event.target.closest ? event.target.closest('[data-slide]') : null;
    if (!button) { return; }
    var action = button.getAttribute('data-slide');
    if (action === 'next') { show(current + 1, true); }
    if (action === 'prev') { show(current - 1, true); }
    if (action === 'start') { current = 0; setMode('present'); }
    if (action === 'stop') { setMode('document'); }
    if (action === 'fullscreen') {
      if (document.fullscreenElement) {
        document.exitFullscreen();
      } else if (deck.requestFullscreen) {
        deck.requestFullscreen().catch(function () { /* not allowed here: stay windowed */ });
      }
    }
  });

  document.addEventListener('fullscreenchange', function () {
    if (figures()) { window.setTimeout(function () { figures().resize(slides[current]); }, 50); }
  });

  current = startsAsDocument ? 0 : fromHash();
  setMode(startsAsDocument ? 'document' : 'present');
})();
