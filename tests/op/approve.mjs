// Approves (or denies) a device login the way a person would: open the verification URI,
// confirm the code, sign in, consent, through the OP's own HTML pages, with a cookie jar.
//
// Usage: node approve.mjs VERIFICATION_URI_COMPLETE LOGIN PASSWORD [deny]
// (NODE_EXTRA_CA_CERTS names the test CA). Prints the final page's text on stdout.
const [start, login, password, deny] = process.argv.slice(2);
const jar = new Map();

function remember(res) {
  for (const c of res.headers.getSetCookie()) {
    const [pair] = c.split(';');
    const i = pair.indexOf('=');
    jar.set(pair.slice(0, i), pair.slice(i + 1));
  }
}

async function go(url, form) {
  let method = form ? 'POST' : 'GET';
  let body = form ? new URLSearchParams(form).toString() : undefined;
  for (let hops = 0; hops < 10; hops += 1) {
    const headers = { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') };
    if (body) headers['content-type'] = 'application/x-www-form-urlencoded';
    let res;
    try {
      res = await fetch(url, { method, body, headers, redirect: 'manual' });
    } catch (e) {
      throw new Error(`${method} ${url}: ${e.cause ? e.cause.message || e.cause.code : e.message}`);
    }
    remember(res);
    if (res.status >= 300 && res.status < 400) {
      url = new URL(res.headers.get('location'), url).toString();
      method = 'GET';
      body = undefined;
      continue;
    }
    return { url, html: await res.text() };
  }
  throw new Error('too many redirects');
}

function form(html, page) {
  const f = html.match(/<form[^>]*action="([^"]*)"[^>]*>([\s\S]*?)<\/form>/);
  if (!f) throw new Error(`no form on ${page}: ${html.slice(0, 300)}`);
  const fields = {};
  for (const m of f[2].matchAll(/<input[^>]*>/g)) {
    const name = m[0].match(/name="([^"]*)"/);
    const value = m[0].match(/value="([^"]*)"/);
    if (name) fields[name[1]] = value ? value[1] : '';
  }
  return { action: new URL(f[1], page).toString(), fields };
}

let page = await go(start);
// The code-entry page (user_code prefilled from the complete URI).
let f = form(page.html, page.url);
page = await go(f.action, f.fields);
// The confirmation page: "Continue" (confirm) or "Abort".
f = form(page.html, page.url);
if (deny) {
  page = await go(f.action, { ...f.fields, abort: 'yes' });
  process.stdout.write(page.html.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim() + '\n');
  process.exit(0);
}
page = await go(f.action, { ...f.fields, confirm: 'yes' });
// Sign in.
f = form(page.html, page.url);
page = await go(f.action, { ...f.fields, login, password });
// Consent.
f = form(page.html, page.url);
page = await go(f.action, f.fields);
process.stdout.write(page.html.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim() + '\n');
