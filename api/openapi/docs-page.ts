/**
 * The interactive API reference at /docs: one self-contained page (no CDN; Settle often runs
 * where there is no internet) that renders /openapi.json with plain JS and can try requests.
 */
export const DOCS_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Settle API reference</title>
<style>
  body { font: 14px/1.5 system-ui, sans-serif; margin: 0; color: #1d2330; background: #f7f8fa; }
  header { background: #1d2330; color: #fff; padding: 16px 24px; }
  header h1 { margin: 0; font-size: 20px; }
  main { display: grid; grid-template-columns: 260px 1fr; }
  nav { padding: 16px; border-right: 1px solid #dde1e8; position: sticky; top: 0; height: 100vh; overflow: auto; box-sizing: border-box; }
  nav a { display: block; color: #1d2330; text-decoration: none; padding: 2px 0; font-size: 13px; }
  nav h3 { margin: 14px 0 4px; font-size: 12px; text-transform: uppercase; color: #6b7385; }
  section { padding: 8px 24px; }
  .op { background: #fff; border: 1px solid #dde1e8; border-radius: 6px; margin: 12px 0; }
  .op > summary { padding: 10px 14px; cursor: pointer; list-style: none; }
  .op .body { padding: 0 14px 14px; }
  .m { display: inline-block; min-width: 52px; font-weight: 700; text-transform: uppercase; font-size: 12px; }
  .m.get { color: #1a7f37; } .m.post { color: #0b5cad; } .m.delete { color: #b42318; } .m.patch, .m.put { color: #9a6700; }
  code, pre { font-family: ui-monospace, monospace; font-size: 12px; }
  pre { background: #f0f2f5; padding: 8px; border-radius: 4px; overflow: auto; max-height: 360px; }
  table { border-collapse: collapse; width: 100%; } td, th { text-align: left; padding: 4px 6px; border-bottom: 1px solid #eef0f3; vertical-align: top; }
  input, textarea { font: inherit; padding: 4px 6px; border: 1px solid #c9ced8; border-radius: 4px; box-sizing: border-box; }
  textarea { width: 100%; min-height: 90px; font-family: ui-monospace, monospace; }
  button { padding: 5px 12px; border: 0; border-radius: 4px; background: #0b5cad; color: #fff; cursor: pointer; }
  .muted { color: #6b7385; }
  #key { width: 340px; }
</style>
</head>
<body>
<header><h1>Settle API reference</h1><div class="muted" id="desc"></div>
<label style="display:block;margin-top:8px">API key for "try it": <input id="key" placeholder="sk_test_…" autocomplete="off"></label></header>
<main><nav id="nav"></nav><div id="content"><section class="muted">Loading /openapi.json…</section></div></main>
<script>
(function () {
  var esc = function (s) { return String(s == null ? '' : s).replace(/[&<>"']/g, function (c) { return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]; }); };
  var json = function (v) { return '<pre>' + esc(JSON.stringify(v, null, 2)) + '</pre>'; };
  var keyInput = document.getElementById('key');
  keyInput.value = sessionStorage.getItem('settle-docs-key') || '';
  keyInput.addEventListener('input', function () { sessionStorage.setItem('settle-docs-key', keyInput.value); });

  fetch('/openapi.json').then(function (r) { return r.json(); }).then(render, function (e) {
    document.getElementById('content').innerHTML = '<section>Could not load /openapi.json: ' + esc(e) + '</section>';
  });

  function render(doc) {
    document.getElementById('desc').textContent = doc.info.description || '';
    var nav = [], out = [], byTag = {}, n = 0;
    Object.keys(doc.paths).forEach(function (path) {
      if (path.indexOf('/api/v1/') === 0) return; // same operations as /v1; the try-it form can use either prefix
      Object.keys(doc.paths[path]).forEach(function (method) {
        var op = doc.paths[path][method];
        (byTag[op.tags[0]] = byTag[op.tags[0]] || []).push({ path: path, method: method, op: op });
      });
    });
    Object.keys(byTag).forEach(function (tag) {
      nav.push('<h3>' + esc(tag) + '</h3>');
      out.push('<section><h2>' + esc(tag) + '</h2>');
      byTag[tag].forEach(function (e) {
        var id = 'op' + (n++);
        nav.push('<a href="#' + id + '"><span class="m ' + e.method + '">' + e.method + '</span>' + esc(e.op.summary) + '</a>');
        out.push(operation(id, e.path, e.method, e.op));
      });
      out.push('</section>');
    });
    nav.push('<h3>Webhooks</h3>');
    out.push('<section><h2>Webhooks</h2>');
    Object.keys(doc.webhooks || {}).forEach(function (name) {
      var hook = doc.webhooks[name].post, id = 'wh' + (n++);
      nav.push('<a href="#' + id + '">' + esc(name) + '</a>');
      out.push('<details class="op" id="' + id + '"><summary><span class="m post">event</span> <code>' + esc(name) + '</code> <span class="muted">' +
        esc(hook.description) + '</span></summary><div class="body"><h4>Headers</h4>' + params(hook.parameters) +
        '<h4>Payload</h4>' + json(hook.requestBody.content['application/json'].schema) + '</div></details>');
    });
    out.push('</section><section><h2>Schemas</h2>');
    nav.push('<h3>Schemas</h3>');
    Object.keys(doc.components.schemas).forEach(function (name) {
      nav.push('<a href="#schema-' + esc(name) + '">' + esc(name) + '</a>');
      out.push('<details class="op" id="schema-' + esc(name) + '"><summary><code>' + esc(name) + '</code></summary><div class="body">' + json(doc.components.schemas[name]) + '</div></details>');
    });
    out.push('</section>');
    document.getElementById('nav').innerHTML = nav.join('');
    document.getElementById('content').innerHTML = out.join('');
    Array.prototype.forEach.call(document.querySelectorAll('form.try'), wire);
  }

  function params(list) {
    if (!list || !list.length) return '<p class="muted">None.</p>';
    return '<table><tr><th>Name</th><th>In</th><th>Schema</th><th>Description</th></tr>' + list.map(function (p) {
      return '<tr><td><code>' + esc(p.name) + '</code>' + (p.required ? ' *' : '') + '</td><td>' + esc(p.in) + '</td><td><code>' +
        esc(JSON.stringify(p.schema)) + '</code></td><td>' + esc(p.description || (p.schema && p.schema.description) || '') + '</td></tr>';
    }).join('') + '</table>';
  }

  function operation(id, path, method, op) {
    var body = op.requestBody && op.requestBody.content['application/json'].schema;
    var ps = op.parameters || [];
    var responses = Object.keys(op.responses).map(function (status) {
      var r = op.responses[status], c = r.content && r.content['application/json'];
      return '<h4>' + esc(status) + ' <span class="muted">' + esc(r.description) + '</span></h4>' +
        (c && status < 300 ? json(c.example || c.schema) : '');
    }).join('');
    var inputs = ps.filter(function (p) { return p.in !== 'header'; }).map(function (p) {
      return '<label>' + esc(p.name) + ' <input data-in="' + esc(p.in) + '" name="' + esc(p.name) + '"></label> ';
    }).join('');
    return '<details class="op" id="' + id + '"><summary><span class="m ' + method + '">' + method + '</span> <code>' + esc(path) +
      '</code> — ' + esc(op.summary) + '</summary><div class="body"><p>' + esc(op.description || '') + '</p>' +
      '<h4>Parameters</h4>' + params(ps) + (body ? '<h4>Request body</h4>' + json(body) : '') + '<h3>Responses</h3>' + responses +
      '<h3>Try it</h3><form class="try" data-path="' + esc(path) + '" data-method="' + method + '">' + inputs +
      (body ? '<textarea name="__body">{}</textarea>' : '') + '<p><button>Send</button></p><pre class="result muted">No request sent yet.</pre></form></div></details>';
  }

  function wire(form) {
    form.addEventListener('submit', function (ev) {
      ev.preventDefault();
      var path = form.dataset.path, query = [];
      Array.prototype.forEach.call(form.querySelectorAll('input[data-in]'), function (i) {
        if (!i.value) return;
        if (i.dataset.in === 'path') path = path.replace('{' + i.name + '}', encodeURIComponent(i.value));
        else query.push(encodeURIComponent(i.name) + '=' + encodeURIComponent(i.value));
      });
      var ta = form.querySelector('textarea'), result = form.querySelector('.result');
      var init = { method: form.dataset.method.toUpperCase(), headers: { 'content-type': 'application/json', 'x-api-key': keyInput.value } };
      if (ta) init.body = ta.value;
      result.textContent = 'Sending…';
      fetch(path + (query.length ? '?' + query.join('&') : ''), init).then(function (r) {
        return r.text().then(function (t) {
          var pretty = t; try { pretty = JSON.stringify(JSON.parse(t), null, 2); } catch (e) {}
          result.textContent = r.status + ' ' + r.statusText + '\\n' + pretty;
        });
      }, function (e) { result.textContent = String(e); });
    });
  }
})();
</script>
</body>
</html>
`;
