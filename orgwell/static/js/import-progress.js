// Polls a background job's JSON status (a staff import, a figure export) and moves the
// progress bar; reloads the page when the job has finished, so that the server renders the
// result (or the error). The page marks the box with data-status-url.
(function () {
  'use strict';
  var box = document.querySelector('[data-status-url]');
  if (!box || !window.fetch) { return; }
  var url = box.getAttribute('data-status-url');
  var bar = box.querySelector('.progress-bar');
  var track = box.querySelector('.progress');
  var processed = box.querySelector('[data-field="processed"]');
  var status = box.querySelector('[data-field="status"]');
  var delay = 1000;

  function show(job) {
    bar.style.width = job.percent + '%';
    track.setAttribute('aria-valuenow', String(job.percent));
    processed.textContent = String(job.processed);
    status.textContent = job.status === 'queued' ? '(waiting for the worker)' : '(running)';
  }

  function poll() {
    fetch(url, { credentials: 'same-origin', headers: { Accept: 'application/json' } })
      .then(function (response) {
        if (!response.ok) { throw new Error('status ' + response.status); }
        return response.json();
      })
      .then(function (job) {
        show(job);
        if (job.finished) {
          window.location.reload();
          return;
        }
        delay = 1000;
        window.setTimeout(poll, delay);
      })
      .catch(function () {
        // The server may be restarting: try again, less often.
        delay = Math.min(delay * 2, 15000);
        window.setTimeout(poll, delay);
      });
  }

  window.setTimeout(poll, delay);
})();
