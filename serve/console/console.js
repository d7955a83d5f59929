// Earshot operator console: polls the server's JSON every 2 s and redraws the page.
//
// Safety: posts are written by anyone on the internet. Every value from the API reaches the page
// through textContent / text nodes (el() below), never innerHTML, and a post's URL becomes a link
// only when it is http(s) — a "javascript:" URL would otherwise run on click.
//
// Access: when the server has a token, the data endpoints answer 401; the page then asks for the
// token, keeps it in sessionStorage (this tab only) and sends it as "Authorization: Bearer".
'use strict';

(() => {
  const POLL_MS = 2000;
  const TOKEN_KEY = 'earshot.token';
  const SEVERITIES = ['critical', 'high', 'medium', 'low'];
  const VISIBLE_POSTS = 3;

  const $ = (id) => document.getElementById(id);
  // Case ids whose "more posts" list the operator opened, so a redraw keeps them open.
  const expanded = new Set();
  let serverOffsetMs = 0;  // server clock − browser clock, so "N s ago" uses the server's time

  class AuthError extends Error {}

  // Builds an element. Children are nodes or plain values (inserted as text, never parsed).
  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props || {})) {
      if (value === undefined || value === null) continue;
      if (key === 'class') node.className = value;
      else if (key === 'title') node.title = value;
      else if (key.startsWith('data-')) node.setAttribute(key, String(value));
      else node[key] = value;
    }
    for (const child of children) {
      if (child === undefined || child === null || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function safeHttpUrl(text) {
    try {
      const url = new URL(text);
      return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
    } catch (_) {
      return null;
    }
  }

  function serverNow() {
    return Date.now() + serverOffsetMs;
  }

  function duration(seconds) {
    seconds = Math.max(0, Math.round(seconds));
    if (seconds < 60) return `${seconds} s`;
    const minutes = Math.floor(seconds / 60);
    if (minutes < 60) return `${minutes} min`;
    const hours = Math.floor(minutes / 60);
    if (hours < 48) return `${hours} h ${String(minutes % 60).padStart(2, '0')} min`;
    return `${Math.floor(hours / 24)} d ${hours % 24} h`;
  }

  function ago(ms) {
    if (!ms) return 'never';
    return `${duration((serverNow() - ms) / 1000)} ago`;
  }

  function latency(seconds) {
    if (seconds === null || seconds === undefined) return '—';
    if (seconds < 1) return `${Math.round(seconds * 1000)} ms`;
    return `${seconds.toFixed(1)} s`;
  }

  function shortTime(text) {
    const date = new Date(text);
    if (!text || Number.isNaN(date.getTime())) return '';
    return date.toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
  }

  async function getJson(path) {
    const headers = {};
    const token = sessionStorage.getItem(TOKEN_KEY);
    if (token) headers.Authorization = `Bearer ${token}`;
    const response = await fetch(path, { headers, cache: 'no-store' });
    if (response.status === 401) throw new AuthError('token needed');
    if (!response.ok) {
      let message = `HTTP ${response.status}`;
      try {
        message = (await response.json()).error || message;
      } catch (_) { /* not JSON: keep the status */ }
      throw new Error(`${path}: ${message}`);
    }
    return response.json();
  }

  function setStatus(state, text) {
    const status = $('status');
    status.dataset.state = state;
    status.textContent = text;
  }

  function severityBadge(severity) {
    const name = SEVERITIES.includes(severity) ? severity : 'none';
    return el('span', { class: `badge sev-${name}` }, name);
  }

  // ---- header -------------------------------------------------------------------------------

  function renderStats(stats) {
    serverOffsetMs = stats.now_ms - Date.now();
    $('mode').hidden = stats.pipeline;
    $('uptime').textContent = duration(stats.uptime_s);
    $('rate').textContent = stats.posts_per_s === null ? '—' : `${stats.posts_per_s.toFixed(1)} posts/s`;
    $('rate').title = stats.posts === null ? '' :
      `${stats.posts} posts, ${stats.complaints} complaints, ${stats.cases_opened} cases opened, ` +
      `${stats.cases_updated} updated, ${stats.duplicates} duplicates, ${stats.skipped} skipped`;
    $('p99').textContent = latency(stats.latency_p99_s);
    $('p99').title = stats.latency_p50_s === null ? '' : `p50 ${latency(stats.latency_p50_s)}`;
    $('open-total').textContent = String(stats.queue.open);
    $('open-total').title = `${stats.queue.queued} queued, ${stats.queue.leased} leased`;

    const queue = $('queue');
    queue.replaceChildren(...SEVERITIES.map((severity) =>
      el('li', { class: `chip sev-${severity}` }, el('span', { class: 'chip-label' }, severity),
         el('span', { class: 'chip-count' }, stats.queue[severity]))));

    const outbox = $('outbox');
    if (stats.redis) {
      const redis = stats.redis;
      outbox.replaceChildren(
        el('span', { class: `dot ${redis.connected ? 'ok' : 'bad'}` }),
        `Redis ${redis.connected ? 'connected' : 'down'} · ${stats.outbox_depth} waiting`);
      outbox.title = redis.last_error ? `last error: ${redis.last_error}` : `${redis.published} published`;
    } else {
      outbox.replaceChildren(stats.redis_queue ? `${stats.outbox_depth} waiting` : 'embedded queue');
      outbox.title = '';
    }

    const rules = $('rules-state');
    if (!stats.rules) {
      rules.replaceChildren('—');
      rules.title = '';
    } else if (!stats.rules.last_reload) {
      rules.replaceChildren(`generation ${stats.rules.generation}`);
      rules.title = 'no reload since start';
    } else {
      const last = stats.rules.last_reload;
      rules.replaceChildren(
        `generation ${stats.rules.generation} · `,
        el('span', { class: last.ok ? 'ok-text' : 'bad-text' }, last.ok ? 'reload ok' : 'reload failed'),
        ` (${last.trigger}, ${ago(last.at_ms)})`);
      rules.title = last.ok ? `compiled in ${last.compile_ms} ms` : last.error;
    }
  }

  // ---- cases --------------------------------------------------------------------------------

  function renderPost(post) {
    const url = safeHttpUrl(post.url);
    let linkText = '';
    if (url) linkText = `${new URL(url).hostname} ↗`;
    return el('li', { class: 'post' },
      el('p', { class: 'post-text' }, post.text),
      el('p', { class: 'post-meta' },
        el('span', { class: 'source' }, post.source),
        shortTime(post.created_at) ? ` · ${shortTime(post.created_at)}` : '',
        url ? ' · ' : '',
        url ? el('a', { href: url, target: '_blank', rel: 'noopener noreferrer' }, linkText) : null));
  }

  function renderPosts(record) {
    // The newest posts first: that is what the operator has to answer.
    const posts = [...(record.posts || [])].reverse();
    const shown = el('ul', { class: 'posts' }, ...posts.slice(0, VISIBLE_POSTS).map(renderPost));
    if (posts.length <= VISIBLE_POSTS) return shown;
    const more = el('details', { class: 'more' },
      el('summary', {}, `${posts.length - VISIBLE_POSTS} earlier posts`),
      el('ul', { class: 'posts' }, ...posts.slice(VISIBLE_POSTS).map(renderPost)));
    more.open = expanded.has(record.case_id);
    more.addEventListener('toggle', () => {
      if (more.open) expanded.add(record.case_id); else expanded.delete(record.case_id);
    });
    return el('div', {}, shown, more);
  }

  function renderCases(body) {
    const cases = body.cases || [];
    const rows = cases.map((record) => {
      const state = record.state === 'leased' && record.lease_expires_at ?
        el('span', { title: `lease ${record.lease_id} until ${record.lease_expires_at}` }, 'leased') :
        record.state;
      return el('tr', { 'data-case-id': record.case_id, class: `row sev-${record.severity}` },
        el('td', { class: 'case-id' }, record.case_id),
        el('td', {}, severityBadge(record.severity)),
        el('td', { class: 'num' }, Number(record.urgency).toFixed(1)),
        el('td', {}, record.brand || '—'),
        el('td', { class: 'author' }, record.author),
        el('td', {}, state),
        el('td', { class: 'num' }, record.post_count),
        el('td', { class: 'posts-cell' }, renderPosts(record)));
    });
    $('cases').tBodies[0].replaceChildren(...rows);
    $('cases-empty').hidden = rows.length > 0;
    $('cases-count').textContent = cases.length >= 100 ? 'top 100 by urgency' : `${cases.length}`;
  }

  // ---- sources and rules --------------------------------------------------------------------

  function renderSources(sources) {
    const rows = sources.map((source) => {
      const blocked = source.blocked_until_ms > serverNow();
      return el('tr', { 'data-source-id': source.id, class: source.last_error ? 'has-error' : '' },
        el('td', {},
          el('div', { class: 'source-id' }, source.id, el('span', { class: 'kind' }, source.kind)),
          el('div', { class: 'muted' }, source.description || source.host)),
        el('td', {}, source.ended ? 'ended' : ago(source.last_poll_ms)),
        el('td', { class: 'num' }, source.posts),
        el('td', { class: `num ${source.errors > 0 ? 'bad-text' : ''}` }, source.errors),
        el('td', { class: 'error-text' }, source.last_error || '—'),
        el('td', {}, blocked ?
          el('span', { title: source.blocked_reason }, `${duration((source.blocked_until_ms - serverNow()) / 1000)} more`) :
          '—'));
    });
    $('sources').tBodies[0].replaceChildren(...rows);
    $('sources-empty').hidden = rows.length > 0;
  }

  function renderRules(rules) {
    const top = rules.slice(0, 20);
    const most = Math.max(1, ...top.map((rule) => rule.hits));
    const rows = top.map((rule) => {
      const fill = el('span', { class: 'bar-fill' });
      fill.style.width = `${(100 * rule.hits) / most}%`;  // CSSOM, which the page's CSP allows
      return el('tr', {},
        el('td', { class: 'rule-id' }, rule.rule),
        el('td', { class: 'num' }, rule.hits),
        el('td', { class: 'bar-col' }, el('span', { class: 'bar' }, fill)));
    });
    $('rules').tBodies[0].replaceChildren(...rows);
    $('rules-empty').hidden = rows.length > 0;
  }

  // ---- polling ------------------------------------------------------------------------------

  function showAuth() {
    const auth = $('auth');
    if (auth.hidden) {
      auth.hidden = false;
      $('token').focus();
    }
    setStatus('auth', sessionStorage.getItem(TOKEN_KEY) ? 'token rejected' : 'token needed');
  }

  let timer = null;
  async function poll() {
    clearTimeout(timer);
    const results = await Promise.allSettled([
      getJson('/api/stats'),
      getJson('/cases?state=open&limit=100'),
      getJson('/api/sources'),
      getJson('/api/rules'),
    ]);
    const renderers = [renderStats, renderCases, renderSources, renderRules];
    const failures = [];
    results.forEach((result, i) => {
      if (result.status === 'fulfilled') {
        try {
          renderers[i](result.value);
        } catch (error) {
          failures.push(error);
        }
      } else {
        failures.push(result.reason);
      }
    });
    if (failures.some((error) => error instanceof AuthError)) {
      showAuth();
    } else if (failures.length === results.length) {
      setStatus('down', 'server unreachable — retrying');
    } else if (failures.length > 0) {
      setStatus('degraded', String(failures[0].message || failures[0]));
    } else {
      $('auth').hidden = true;
      setStatus('ok', 'live');
      $('updated').textContent = `updated ${new Date().toLocaleTimeString()}`;
    }
    timer = setTimeout(poll, POLL_MS);
  }

  document.addEventListener('DOMContentLoaded', () => {
    $('auth-form').addEventListener('submit', (event) => {
      event.preventDefault();
      const token = $('token').value.trim();
      if (token) sessionStorage.setItem(TOKEN_KEY, token); else sessionStorage.removeItem(TOKEN_KEY);
      $('token').value = '';
      poll();
    });
    poll();
  });
})();
