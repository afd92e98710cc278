/**
 * The checkout page's stylesheet, inlined under the CSP nonce: mobile-first, light and dark themes
 * from custom properties, contrast of at least 4.5:1 for text, a visible focus ring.
 */
export const PAGE_STYLE = `
:root { --bg: #f3f4f6; --card: #ffffff; --text: #111827; --muted: #4b5563; --accent: #1d4ed8; --accent-text: #ffffff;
  --border: #d1d5db; --ok: #166534; --warn: #92400e; --bad: #991b1b; color-scheme: light dark; }
@media (prefers-color-scheme: dark) {
  :root { --bg: #0b0f17; --card: #161b26; --text: #f3f4f6; --muted: #c0c6d0; --accent: #93b4ff; --accent-text: #0b0f17;
    --border: #374151; --ok: #86efac; --warn: #fcd34d; --bad: #fca5a5; }
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--text); font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
main { max-width: 28rem; margin: 0 auto; padding: 1rem; }
.card { background: var(--card); border: 1px solid var(--border); border-radius: 12px; padding: 1.25rem; }
header { display: flex; align-items: center; gap: .75rem; margin-bottom: 1rem; }
header img { width: 48px; height: 48px; object-fit: contain; border-radius: 8px; }
.payto { margin: 0; color: var(--muted); font-size: .875rem; }
h1 { margin: 0; font-size: 1.25rem; }
h2 { margin: 0 0 .25rem; font-size: 1.125rem; }
#state { border-left: 4px solid var(--accent); padding: .5rem .75rem; margin-bottom: 1rem; }
#state[data-phase="paid"], #state[data-phase="paid_late"] { border-color: var(--ok); }
#state[data-phase="partially_paid"], #state[data-phase="confirming"] { border-color: var(--warn); }
#state[data-phase="expired"], #state[data-phase="underpaid"] { border-color: var(--bad); }
#state p { margin: 0; }
dl { display: grid; grid-template-columns: auto 1fr; gap: .25rem 1rem; margin: 0 0 1rem; }
dt { color: var(--muted); }
dd { margin: 0; font-weight: 600; overflow-wrap: anywhere; }
#qr { margin: 0 auto 1rem; width: min(100%, 264px); background: #ffffff; padding: 0; }
#qr svg { display: block; width: 100%; height: auto; }
.hint, .warning { color: var(--muted); font-size: .875rem; }
label { display: block; color: var(--muted); font-size: .875rem; margin-bottom: .25rem; }
.copy-row { display: flex; gap: .5rem; }
#address { flex: 1; min-width: 0; font: 600 .875rem ui-monospace, SFMono-Regular, Menlo, monospace; padding: .5rem;
  border: 1px solid var(--border); border-radius: 8px; background: var(--bg); color: var(--text); }
button, .button { font: inherit; font-weight: 600; padding: .5rem .875rem; border-radius: 8px; border: 0; cursor: pointer;
  background: var(--accent); color: var(--accent-text); text-decoration: none; display: inline-block; }
a { color: var(--accent); }
:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
.countdown { font-variant-numeric: tabular-nums; font-weight: 600; }
.cancel { display: block; margin-top: 1rem; text-align: center; }
[hidden] { display: none !important; }
@media (min-width: 40rem) { main { padding-top: 3rem; } }
`;
