// The two files every page loads from its own server: the shared stylesheet and the copy script.
// The script is a file, not inline, because the pages' policy forbids inline script; without it the
// pages read the same, only the copy buttons are missing.
import { STYLESHEET } from '../../report/page/style.js';

const COPY_JS = `// podmortem: a copy button on every command block (div.cmd > pre).
(function () {
  function fallback(text, done) {
    var ta = document.createElement('textarea');
    ta.value = text;
    ta.setAttribute('readonly', '');
    ta.className = 'offscreen';
    document.body.appendChild(ta);
    ta.select();
    try { if (document.execCommand('copy')) done(); } catch (e) { /* nothing to do */ }
    document.body.removeChild(ta);
  }
  function copy(text, done) {
    if (navigator.clipboard && window.isSecureContext)
      navigator.clipboard.writeText(text).then(done, function () { fallback(text, done); });
    else fallback(text, done);
  }
  var blocks = document.querySelectorAll('div.cmd');
  for (var i = 0; i < blocks.length; i++) (function (block) {
    var pre = block.querySelector('pre');
    if (!pre) return;
    var b = document.createElement('button');
    b.type = 'button';
    b.className = 'copy';
    b.textContent = 'copy';
    b.setAttribute('aria-label', 'Copy this command');
    b.addEventListener('click', function () {
      copy(pre.textContent, function () {
        b.textContent = 'copied';
        b.classList.add('done');
        setTimeout(function () { b.textContent = 'copy'; b.classList.remove('done'); }, 1500);
      });
    });
    block.appendChild(b);
  })(blocks[i]);
})();
`;

export const ASSETS: Record<string, { type: string; body: string }> = {
  '/ui/style.css': { type: 'text/css; charset=utf-8', body: STYLESHEET },
  '/ui/copy.js': { type: 'text/javascript; charset=utf-8', body: COPY_JS },
};
