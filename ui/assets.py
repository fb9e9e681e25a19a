"""Page CSS and the small page script, kept as strings so they ship with the Python package.

The script is the ``js_on_load`` of the header component. It installs one delegated click
handler for the whole page because the links it serves live inside components Gradio renders
and re-renders (chat messages, HTML panels):

- ``a[href^="#cite-"]`` — an ``[n]`` reference: scroll to its citation card and flash it;
- ``[data-open-chunk]`` — open that passage in the source viewer (a Python event, sent through
  the header component's ``trigger``);
- ``[data-copy-md]`` — copy the answer's Markdown, falling back to a selectable text box when
  the clipboard is not available (plain-http origins other than localhost).
"""

from __future__ import annotations

BRIDGE_JS = r"""
window.saOpenPassage = (chunkId, span) => trigger('click', {chunk_id: chunkId, span: span || ''});
if (!window.__saBridge) {
  window.__saBridge = true;
  const flash = (el) => {
    el.classList.remove('sa-flash');
    void el.offsetWidth;
    el.classList.add('sa-flash');
  };
  const showCard = (id) => {
    const card = document.getElementById(id);
    if (!card) return;
    let d = card.closest('details');
    while (d) {
      d.open = true;
      d = d.parentElement ? d.parentElement.closest('details') : null;
    }
    card.scrollIntoView({behavior: 'smooth', block: 'nearest'});
    card.focus({preventScroll: true});
    flash(card);
  };
  const copyText = async (text) => {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return true;
    }
    const area = document.createElement('textarea');
    area.value = text;
    area.setAttribute('readonly', '');
    area.style.position = 'fixed';
    area.style.opacity = '0';
    document.body.appendChild(area);
    area.select();
    let ok = false;
    try { ok = document.execCommand('copy'); } catch (e) { ok = false; }
    area.remove();
    return ok;
  };
  document.addEventListener('click', (event) => {
    const target = event.target instanceof Element ? event.target : null;
    if (!target) return;
    const ref = target.closest('a[href^="#cite-"]');
    if (ref) {
      event.preventDefault();
      event.stopPropagation();
      showCard(ref.getAttribute('href').slice(1));
      return;
    }
    const opener = target.closest('[data-open-chunk]');
    if (opener && !opener.disabled) {
      event.preventDefault();
      event.stopPropagation();
      document.querySelectorAll('.sa-opened').forEach((el) => el.classList.remove('sa-opened'));
      const card = opener.closest('.sa-card, .sa-rec');
      if (card) card.classList.add('sa-opened');
      window.saOpenPassage(opener.dataset.openChunk, opener.dataset.span);
      return;
    }
    const copier = target.closest('[data-copy-md]');
    if (copier) {
      event.preventDefault();
      const source = document.getElementById(copier.dataset.copyMd);
      const status = copier.nextElementSibling;
      const text = source ? source.value : '';
      copyText(text).then((ok) => {
        if (ok) {
          if (status) status.textContent = 'Copied';
        } else if (source) {
          source.hidden = false;
          source.select();
          if (status) status.textContent = 'Press Ctrl+C to copy';
        }
      }).catch(() => {
        if (source) { source.hidden = false; source.select(); }
        if (status) status.textContent = 'Press Ctrl+C to copy';
      });
      if (status) setTimeout(() => { status.textContent = ''; }, 4000);
    }
  }, true);
}
"""

VIEWER_JS = r"""
const scrollToFocus = () => {
  const focus = element.querySelector('#sa-focus');
  const doc = element.querySelector('.sa-doc');
  if (focus && doc) doc.scrollTop = Math.max(0, focus.offsetTop - 48);
};
watch('value', () => {
  const focus = element.querySelector('#sa-focus');
  if (focus) focus.focus({preventScroll: true});  // screen readers land on the passage
  scrollToFocus();
  setTimeout(scrollToFocus, 350);
});
"""

FAVICON_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16">'
    '<rect width="16" height="16" rx="3" fill="#4f46e5"/>'
    '<text x="8" y="12" font-size="10" text-anchor="middle" fill="white" '
    'font-family="sans-serif">S</text></svg>'
)
HEAD = '<meta name="description" content="Cited answers over local strategy documents">'

CSS = r"""
.gradio-container { max-width: 1400px !important; }
.sa-header { display: flex; flex-wrap: wrap; align-items: baseline; gap: .25rem 1rem; }
.sa-header h1 { font-size: 1.5rem; margin: 0; }
.sa-stats { margin: 0; color: var(--body-text-color-subdued); }
.sa-answer p { margin: 0 0 .6em; }
.sa-answer p:last-child { margin-bottom: 0; }
.sa-question { margin: 0; }
.sa-pending { opacity: .75; }
a.sa-ref { text-decoration: none; font-weight: 600; white-space: nowrap; padding: 0 .1em;
  border-radius: 3px; color: var(--link-text-color, var(--color-accent)); }
a.sa-ref:hover, a.sa-ref:focus-visible { text-decoration: underline; }
a.sa-src { color: inherit; text-decoration: none; overflow-wrap: anywhere; }
a.sa-src:hover { text-decoration: underline; }
.sa-sources { margin-top: .6em; font-size: .9em; border-top: 1px solid var(--border-color-primary);
  padding-top: .4em; }
.sa-sources > span { font-weight: 600; }
.sa-sources ul { margin: .2em 0 0; padding-left: 1.1em; }
.sa-note { font-size: .85em; color: var(--body-text-color-subdued); }
.sa-abstain { border-left: 4px solid #d97706; background: rgba(217, 119, 6, .08);
  padding: .5em .75em; border-radius: 4px; }
.sa-abstain > strong { display: block; margin-bottom: .3em; color: #b45309; }
.dark .sa-abstain > strong { color: #fbbf24; }
.sa-panel h3, .sa-panel-empty h3 { margin: 0 0 .5em; font-size: 1.1rem; }
.sa-panel-empty { color: var(--body-text-color-subdued); }
#sa-citations { max-height: 78vh; overflow-y: auto; }
.sa-turn { margin-bottom: .75em; }
.sa-turn > summary { cursor: pointer; font-weight: 600; padding: .25em 0; }
.sa-turn > summary small { font-weight: 400; color: var(--body-text-color-subdued); }
.sa-turn-tools { display: flex; align-items: center; gap: .5em; margin: .25em 0 .5em; }
.sa-md { width: 100%; min-height: 8em; font-family: var(--font-mono); font-size: .8em; }
.sa-copy-status { font-size: .85em; color: var(--body-text-color-subdued); }
.sa-card { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: .6em .75em;
  margin: 0 0 .6em; background: var(--block-background-fill); scroll-margin: 1rem; }
.sa-card:focus { outline: none; }
.sa-card.sa-flash { animation: sa-flash 1.6s ease-out; }
.sa-card.sa-opened { border-color: var(--color-accent); }
@keyframes sa-flash { 0% { box-shadow: 0 0 0 3px var(--color-accent); }
  100% { box-shadow: 0 0 0 0 transparent; } }
.sa-card header { font-weight: 600; }
.sa-num { color: var(--color-accent); }
.sa-meta { font-size: .85em; color: var(--body-text-color-subdued); margin: .2em 0;
  display: flex; flex-wrap: wrap; gap: .2em .8em; }
.sa-badge { border: 1px solid var(--border-color-primary); border-radius: 999px; padding: 0 .5em; }
.sa-speaker { font-style: italic; }
.sa-passage { white-space: pre-wrap; margin: .4em 0; padding: 0 0 0 .6em; font-size: .9em;
  border-left: 3px solid var(--border-color-primary); max-height: 16em; overflow-y: auto; }
mark.sa-support { background: #fde68a; color: #1f2937; padding: 0 .1em; border-radius: 2px; }
.dark mark.sa-support { background: #a16207; color: #fff; }
button.sa-open, button.sa-copy {
  border: 1px solid var(--button-secondary-border-color, var(--border-color-primary));
  background: var(--button-secondary-background-fill); color: var(--button-secondary-text-color);
  border-radius: 6px; padding: .25em .7em; font-size: .85em; cursor: pointer; min-height: 32px; }
button.sa-open:hover, button.sa-copy:hover {
  background: var(--button-secondary-background-fill-hover); }
button.sa-open:disabled { opacity: .5; cursor: default; }
button.sa-open:focus-visible, button.sa-copy:focus-visible, a.sa-ref:focus-visible {
  outline: 2px solid var(--color-accent); outline-offset: 2px; }
button.sa-link { border: none; background: none; padding: 0; min-height: 0; text-align: left;
  color: var(--link-text-color, var(--color-accent)); font-size: 1em; }
button.sa-link:hover { text-decoration: underline; background: none; }
.sa-viewer h3 { margin: 0 0 .2em; font-size: 1.05rem; }
.sa-crumbs { list-style: none; padding: 0; margin: .3em 0; display: flex; flex-wrap: wrap;
  font-size: .85em; }
.sa-crumbs li + li::before { content: "›"; margin: 0 .4em; color: var(--body-text-color-subdued); }
.sa-facts { font-size: .8em; color: var(--body-text-color-subdued); margin: .2em 0 .5em; }
.sa-doc { position: relative; white-space: pre-wrap; font-size: .9em; line-height: 1.5;
  max-height: 65vh; overflow-y: auto; border: 1px solid var(--border-color-primary);
  border-radius: 6px; padding: .6em; }
.sa-context { color: var(--body-text-color-subdued); }
.sa-focus { display: block; margin: .4em 0; padding: .4em .5em;
  border-left: 4px solid var(--color-accent); background: rgba(99, 102, 241, .07); }
.sa-focus:focus { outline: none; }
.sa-nav { display: flex; justify-content: space-between; gap: .5em; margin-top: .6em; }
.sa-outline { padding-left: 1.4em; }
.sa-outline li { margin: .25em 0; }
.sa-outline small { color: var(--body-text-color-subdued); margin-left: .3em; }
.sa-recs { padding-left: 1.4em; }
.sa-rec { margin: 0 0 .8em; }
.sa-rec.sa-opened .sa-passage { border-left-color: var(--color-accent); }
.sa-rec-group h3 { margin: 1em 0 0; font-size: 1.05rem; }
.sa-compare { display: grid; grid-template-columns: repeat(auto-fit, minmax(280px, 1fr)); gap: 1rem;
  align-items: start; }
.sa-col { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: .75em;
  min-width: 0; }
.sa-col h3 { margin: 0; font-size: 1.05rem; }
#sa-library * { font-family: var(--font); }
.sa-msg { padding: .5em .75em; border-radius: 6px; margin: .25em 0; }
.sa-msg-error { border-left: 4px solid #dc2626; background: rgba(220, 38, 38, .08); }
.sa-msg-ok { border-left: 4px solid #16a34a; background: rgba(22, 163, 74, .08); }
.sa-msg-warning { border-left: 4px solid #d97706; background: rgba(217, 119, 6, .1); }
.sa-signout { text-align: right; font-size: .9em; }
.sa-msg-info { color: var(--body-text-color-subdued); }
.sa-empty { color: var(--body-text-color-subdued); }
@media (max-width: 640px) {
  .gradio-container { padding: 0 .4rem !important; }
  #sa-citations { max-height: none; }
  .sa-header h1 { font-size: 1.25rem; }
}
"""
