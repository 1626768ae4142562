// Runs the login hand-back page's own script, as a browser would after the login service's
// redirect: loads the page from oci-token's listener, gives it the URL fragment, and lets its
// XMLHttpRequest (a fetch-based stand-in) call back. Prints the text the page ends up showing.
// Usage: node run_hand_back_page.js PORT FRAGMENT
const [port, fragment] = process.argv.slice(2);
const base = `http://127.0.0.1:${port}`;
const shown = { textContent: '' };
globalThis.window = { location: { hash: '#' + fragment } };
globalThis.document = { getElementById: () => shown };
globalThis.XMLHttpRequest = class {
  open(method, url) { this.method = method; this.url = url; }
  send() {
    fetch(base + this.url, { method: this.method }).then(async (r) => {
      this.status = r.status;
      this.responseText = await r.text();
      this.onload && this.onload();
      console.log(shown.textContent);
    }).catch((e) => { console.log('request failed: ' + e); process.exitCode = 1; });
  }
};
fetch(base + '/').then((r) => r.text()).then((html) => {
  const m = html.match(/<script>([\s\S]*)<\/script>/);
  if (!m) { console.log('no script on the page'); process.exitCode = 1; return; }
  eval(m[1]);
});
