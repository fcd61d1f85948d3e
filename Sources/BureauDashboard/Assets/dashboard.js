// Bureau dashboard: plain JavaScript, no framework, no network beyond this server's own API.
// Every piece of data reaches the page through textContent or a form control's value, never as HTML.
'use strict';

(() => {
  const $ = (id) => document.getElementById(id);

  const EVENT_TYPES = [
    'task.created', 'task.updated',
    'desktop.created', 'desktop.updated', 'desktop.deleted',
    'api_key.created', 'api_key.revoked', 'api_key.rolled', 'api_key.leaked',
    'api_key.revoked_unused',
  ];
  const VIEWS = { desktops: 'view-desktops', activity: 'view-activity', 'api-keys': 'view-api-keys' };
  const TRANSITIONS = {
    queued: [['running', 'Start'], ['cancelled', 'Cancel']],
    running: [['completed', 'Complete'], ['failed', 'Mark failed'], ['cancelled', 'Cancel']],
  };
  const FEED_LIMIT = 100;

  const state = {
    user: null,
    desktops: [],
    selectedDesktop: null,
    seenEvents: new Set(),
    lastEventId: null,
    source: null,
    reopenDelay: 3000,
    reopenTimer: null,
    refreshTimers: {},
    revokeTarget: null,
    rollTarget: null,
    keys: [],
  };

  const DAY_MS = 86400000;
  // A key expiring within this many days is flagged in the list.
  const EXPIRY_WARNING_DAYS = 7;
  // What the key form's fields are called on the page, for the field errors of a 400.
  const KEY_FIELD_LABELS = { name: 'Key name', expiresAt: 'Expires', scope: 'Access' };

  // ---- The API ------------------------------------------------------------------------------

  /** A refused request, with what the server said about it (RFC 9457 problem). */
  class Problem extends Error {
    constructor(status, body, retryAfter) {
      super((body && body.detail) || `Request failed with status ${status}`);
      this.status = status;
      this.code = body && body.code;
      this.detail = body && body.detail;
      this.fields = (body && Array.isArray(body.errors)) ? body.errors : [];
      this.retryAfter = retryAfter;
      this.handled = false;
    }
  }

  /** A same-origin request to the API with the session cookie; a 401 returns the page to sign-in. */
  async function api(method, path, body, extraHeaders) {
    const init = { method, credentials: 'same-origin', cache: 'no-store', headers: { Accept: 'application/json' } };
    if (body !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    Object.assign(init.headers, extraHeaders || {});
    let response;
    try {
      response = await fetch(path, init);
    } catch (error) {
      throw new Problem(0, { detail: 'The server could not be reached. Check your connection and try again.' });
    }
    if (response.status === 204) return null;
    let data = null;
    const type = response.headers.get('Content-Type') || '';
    if (type.includes('json')) {
      try { data = await response.json(); } catch (error) { data = null; }
    }
    if (response.ok) return data;
    const problem = new Problem(response.status, data, response.headers.get('Retry-After'));
    if (response.status === 401 && state.user) {
      problem.handled = true;
      showSignIn('Your session has ended. Sign in again to continue.');
    }
    throw problem;
  }

  /** What went wrong, in words a person can act on. */
  function describe(problem) {
    const detail = problem.detail ? ` ${problem.detail}` : '';
    switch (problem.status) {
      case 0: return problem.message;
      case 400:
      case 422: return `Please check what you entered.${detail}`;
      case 401: return 'You are not signed in.';
      case 403:
        if (problem.code === 'cross_site_login' || problem.code === 'cross_site_request') {
          // The page's address is not the one the server is configured with (http.public_origin), e.g.
          // localhost where the server expects 127.0.0.1.
          return `The server refused this as coming from another site.${detail} Open the dashboard at the server's configured address and try again.`;
        }
        return `This is not allowed.${detail}`;
      case 404: return `Not found: it may have been deleted or revoked already.${detail}`;
      case 409:
        if (problem.code === 'api_key_limit_reached') return `You have reached the limit of active API keys.${detail}`;
        return `That change is not possible now.${detail}`;
      case 413: return 'That is too large to send.';
      case 429: {
        const seconds = parseInt(problem.retryAfter, 10);
        const wait = Number.isFinite(seconds) ? ` Try again in ${seconds} second${seconds === 1 ? '' : 's'}.` : ' Try again shortly.';
        if (problem.code === 'too_many_streams') return `Too many open activity streams.${detail}`;
        return `Too many requests: you are being rate limited.${wait}`;
      }
      case 503: return `The server cannot take this change right now.${detail}`;
      default: return `Something went wrong (status ${problem.status}).${detail}`;
    }
  }

  /** Shows `problem` in the error element `element` (its field errors as a list). */
  function showError(element, problem, fieldLabels) {
    if (problem.handled) return;
    element.replaceChildren();
    const text = document.createElement('span');
    text.textContent = describe(problem);
    element.append(text);
    if (problem.fields.length) {
      const list = document.createElement('ul');
      for (const field of problem.fields) {
        const item = document.createElement('li');
        const label = (fieldLabels && fieldLabels[field.field]) || field.field;
        item.textContent = `${label}: ${field.message}`;
        list.append(item);
      }
      element.append(list);
    }
    element.hidden = false;
  }

  function clearError(element) {
    element.hidden = true;
    element.replaceChildren();
  }

  /** Runs `action` with `button` disabled, so a double click sends one request. */
  async function busy(button, action) {
    button.disabled = true;
    try { return await action(); } finally { button.disabled = false; }
  }

  // ---- Small helpers ----------------------------------------------------------------------

  function formatTime(iso) {
    const date = new Date(iso);
    return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
  }

  function setTime(element, iso) {
    element.dateTime = iso;
    element.textContent = formatTime(iso);
  }

  function truncate(text, length) {
    const value = String(text || '');
    return value.length > length ? `${value.slice(0, length - 1)}…` : value;
  }

  function fromTemplate(id) {
    return $(id).content.firstElementChild.cloneNode(true);
  }

  function randomKey() {
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
  }

  // ---- Views ------------------------------------------------------------------------------

  function currentView() {
    const hash = location.hash.replace(/^#\/?/, '');
    if (hash === 'activity') return 'activity';
    if (hash === 'settings/api-keys' || hash === 'api-keys') return 'api-keys';
    return 'desktops';
  }

  function showView(name, moveFocus) {
    $('view-sign-in').hidden = true;
    for (const [view, id] of Object.entries(VIEWS)) $(id).hidden = view !== name;
    for (const link of document.querySelectorAll('#nav a')) {
      if (link.dataset.view === name) link.setAttribute('aria-current', 'page');
      else link.removeAttribute('aria-current');
    }
    const titles = { desktops: 'Desktops', activity: 'Activity', 'api-keys': 'API Keys' };
    document.title = `${titles[name]} · Bureau`;
    if (moveFocus) {
      const heading = $(VIEWS[name]).querySelector('h1');
      heading.tabIndex = -1;
      heading.focus();
    }
  }

  function setGlobalMessage(text) {
    const banner = $('global-message');
    banner.textContent = text || '';
    banner.hidden = !text;
  }

  // ---- Signing in and out -----------------------------------------------------------------

  async function showSignIn(message) {
    state.user = null;
    closeStream();
    forgetNewKey();
    if ($('revoke-dialog').open) $('revoke-dialog').close();
    if ($('roll-dialog').open) $('roll-dialog').close();
    state.keys = [];
    for (const id of ['desktop-list', 'task-list', 'key-list', 'activity-list', 'task-desktop']) $(id).replaceChildren();
    state.seenEvents.clear();
    state.lastEventId = null;
    $('feed-notice').hidden = true;
    $('nav').hidden = true;
    $('account').hidden = true;
    for (const id of Object.values(VIEWS)) $(id).hidden = true;
    $('view-sign-in').hidden = false;
    $('loading').hidden = true;
    document.title = 'Sign in · Bureau';
    setGlobalMessage(message);
    try {
      const options = await api('GET', '/api/auth/providers');
      renderSignInOptions(options || {});
    } catch (problem) {
      renderSignInOptions({});
      setGlobalMessage(describe(problem));
    }
  }

  function renderSignInOptions(options) {
    const list = $('providers');
    list.replaceChildren();
    const providers = Array.isArray(options.data) ? options.data : [];
    for (const provider of providers) {
      const url = String(provider.signInUrl || '');
      // Only this server's own sign-in routes: a relative path, never another origin.
      if (!url.startsWith('/') || url.startsWith('//')) continue;
      const item = document.createElement('li');
      const link = document.createElement('a');
      link.className = 'button primary';
      link.href = url;
      link.textContent = `Sign in with ${provider.displayName || provider.name}`;
      item.append(link);
      list.append(item);
    }
    list.hidden = list.children.length === 0;
    $('dev-login-form').hidden = options.devLogin !== true;
    $('no-sign-in').hidden = !(list.hidden && options.devLogin !== true);
  }

  async function devLogin(event) {
    event.preventDefault();
    const error = $('dev-login-error');
    clearError(error);
    const email = $('dev-login-email').value.trim();
    await busy(event.submitter || $('dev-login-form').querySelector('button'), async () => {
      try {
        const me = await api('POST', '/api/auth/dev-login', { email });
        enterApp(me);
      } catch (problem) {
        showError(error, problem);
      }
    });
  }

  async function signOut() {
    await busy($('sign-out'), async () => {
      try {
        await api('POST', '/api/auth/logout');
        showSignIn('You have signed out.');
      } catch (problem) {
        if (problem.status === 401) { showSignIn('You have signed out.'); return; }
        if (!problem.handled) setGlobalMessage(describe(problem));
      }
    });
  }

  function enterApp(me) {
    state.user = me;
    setGlobalMessage('');
    $('loading').hidden = true;
    $('nav').hidden = false;
    $('account').hidden = false;
    $('account-email').textContent = me.email || '';
    $('dev-login-email').value = '';
    showView(currentView(), false);
    loadDesktops();
    loadKeys();
    startActivity();
  }

  // ---- Desktops and tasks -----------------------------------------------------------------

  async function loadDesktops() {
    try {
      const page = await api('GET', '/api/desktops?limit=100');
      state.desktops = page.data || [];
      renderDesktops();
    } catch (problem) {
      showError($('desktop-error'), problem);
    }
  }

  function renderDesktops() {
    const list = $('desktop-list');
    list.replaceChildren();
    if (!state.desktops.some((desktop) => desktop.id === state.selectedDesktop)) {
      state.selectedDesktop = state.desktops.length ? state.desktops[0].id : null;
    }
    for (const desktop of state.desktops) {
      const item = fromTemplate('desktop-item');
      item.dataset.id = desktop.id;
      item.classList.toggle('selected', desktop.id === state.selectedDesktop);
      item.querySelector('.item-title').textContent = desktop.name;
      const badge = item.querySelector('.badge');
      badge.textContent = desktop.status;
      badge.classList.add(desktop.status);
      setTime(item.querySelector('.created'), desktop.createdAt);
      const show = item.querySelector('.show-tasks');
      show.setAttribute('aria-label', `Show tasks of ${desktop.name}`);
      show.addEventListener('click', () => {
        selectDesktop(desktop.id);
        $('tasks-title').tabIndex = -1;
        $('tasks-title').focus();
      });
      list.append(item);
    }
    $('desktops-empty').hidden = state.desktops.length > 0;
    const select = $('task-desktop');
    select.replaceChildren();
    for (const desktop of state.desktops) {
      const option = document.createElement('option');
      option.value = desktop.id;
      option.textContent = desktop.name;
      select.append(option);
    }
    $('tasks').hidden = state.desktops.length === 0;
    if (state.selectedDesktop) {
      select.value = state.selectedDesktop;
      loadTasks();
    } else {
      $('task-list').replaceChildren();
    }
  }

  function selectDesktop(id) {
    state.selectedDesktop = id;
    $('task-desktop').value = id;
    for (const item of $('desktop-list').children) item.classList.toggle('selected', item.dataset.id === id);
    loadTasks();
  }

  async function createDesktop(event) {
    event.preventDefault();
    const error = $('desktop-error');
    clearError(error);
    await busy(event.submitter || $('desktop-form').querySelector('button'), async () => {
      try {
        const desktop = await api('POST', '/api/desktops', { name: $('desktop-name').value });
        $('desktop-name').value = '';
        state.selectedDesktop = desktop.id;
        await loadDesktops();
      } catch (problem) {
        showError(error, problem);
      }
    });
  }

  async function loadTasks() {
    const desktopId = state.selectedDesktop;
    if (!desktopId) return;
    try {
      const page = await api('GET', `/api/mission-control/tasks?limit=100&desktopId=${encodeURIComponent(desktopId)}`);
      if (desktopId === state.selectedDesktop) renderTasks(page.data || []);
    } catch (problem) {
      showError($('task-error'), problem);
    }
  }

  function renderTasks(tasks) {
    const list = $('task-list');
    list.replaceChildren();
    for (const task of tasks) {
      const item = fromTemplate('task-item');
      item.dataset.id = task.id;
      item.querySelector('.task-content').textContent = task.content;
      const badge = item.querySelector('.badge');
      badge.textContent = task.status;
      badge.classList.add(task.status);
      setTime(item.querySelector('.created'), task.createdAt);
      setTime(item.querySelector('.updated'), task.updatedAt);
      const actions = item.querySelector('.transitions');
      for (const [status, label] of TRANSITIONS[task.status] || []) {
        const button = document.createElement('button');
        button.type = 'button';
        button.className = status === 'cancelled' || status === 'failed' ? 'button secondary' : 'button primary';
        button.textContent = label;
        button.dataset.status = status;
        button.setAttribute('aria-label', `${label} task “${truncate(task.content, 60)}”`);
        button.addEventListener('click', () => changeTaskStatus(task, status, button));
        actions.append(button);
      }
      actions.hidden = actions.children.length === 0;
      list.append(item);
    }
    $('tasks-empty').hidden = tasks.length > 0;
  }

  async function createTask(event) {
    event.preventDefault();
    const error = $('task-error');
    clearError(error);
    await busy(event.submitter || $('task-form').querySelector('button'), async () => {
      try {
        await api(
          'POST',
          '/api/mission-control/tasks',
          { type: 'prompt', content: $('task-content').value, desktopId: state.selectedDesktop },
          { 'Idempotency-Key': randomKey() },
        );
        $('task-content').value = '';
        await loadTasks();
      } catch (problem) {
        showError(error, problem);
      }
    });
  }

  async function changeTaskStatus(task, status, button) {
    const error = $('task-error');
    clearError(error);
    await busy(button, async () => {
      try {
        await api('PATCH', `/api/mission-control/tasks/${encodeURIComponent(task.id)}`, { status });
        await loadTasks();
      } catch (problem) {
        showError(error, problem);
      }
    });
  }

  // ---- API keys ---------------------------------------------------------------------------

  async function loadKeys() {
    try {
      const page = await api('GET', '/api/auth/api-keys');
      state.keys = page.data || [];
      renderKeys(state.keys);
    } catch (problem) {
      showError($('key-error'), problem);
    }
  }

  function plural(count, word) {
    return `${count} ${word}${count === 1 ? '' : 's'}`;
  }

  function makeBadge(text, kind) {
    const badge = document.createElement('span');
    badge.className = `badge ${kind}`;
    badge.textContent = text;
    return badge;
  }

  /** How far off an expiry is, in words ("in 3 days", "in 5 hours"), or null once it has passed. */
  function timeUntil(expiresAt) {
    const left = new Date(expiresAt).getTime() - Date.now();
    if (!Number.isFinite(left) || left <= 0) return null;
    // Rounded, so a key rolled with 24 hours of grace says 24 hours, not 23.
    const hours = Math.round(left / 3600000);
    if (hours >= 48) return `in ${plural(Math.round(left / DAY_MS), 'day')}`;
    if (hours >= 1) return `in ${plural(hours, 'hour')}`;
    return `in ${plural(Math.max(1, Math.round(left / 60000)), 'minute')}`;
  }

  function renderKeys(keys) {
    const list = $('key-list');
    list.replaceChildren();
    for (const key of keys) {
      const item = fromTemplate('key-item');
      item.dataset.id = key.id;
      item.querySelector('.item-title').textContent = key.name;
      item.querySelector('.preview').textContent = key.preview;
      setTime(item.querySelector('.created'), key.createdAt);
      const badges = item.querySelector('.badges');
      const readOnly = key.scope === 'read';
      item.querySelector('.scope').textContent = readOnly ? 'Read only' : 'Full';
      if (readOnly) badges.append(makeBadge('Read only', 'read-only'));
      const rolled = key.rolled === true;
      if (rolled) badges.append(makeBadge('Rolled', 'rolled'));
      renderExpiry(item.querySelector('.expires'), badges, key, rolled);
      if (key.unused === true) badges.append(makeBadge('Unused', 'unused'));
      const lastUsed = item.querySelector('.last-used');
      if (key.lastUsedAt) {
        const time = document.createElement('time');
        setTime(time, key.lastUsedAt);
        lastUsed.append(time);
      } else {
        lastUsed.textContent = 'Never';
      }
      renderUsage(item, key);
      const roll = item.querySelector('.roll');
      // A rolled key cannot be rolled again (409): its successor can.
      roll.hidden = rolled;
      roll.setAttribute('aria-label', `Roll ${key.name}`);
      roll.addEventListener('click', () => askRoll(key, roll));
      const revoke = item.querySelector('.revoke');
      revoke.setAttribute('aria-label', `Revoke ${key.name}`);
      revoke.addEventListener('click', () => askRevoke(key, revoke));
      list.append(item);
    }
    $('keys-empty').hidden = keys.length > 0;
    $('keys-usage-hint').hidden = !$('key-list').querySelector('.usage-chart');
  }

  /** The key's expiry in the facts, and a badge when it is near or past. */
  function renderExpiry(element, badges, key, rolled) {
    if (!key.expiresAt) {
      element.textContent = 'Never';
      return;
    }
    const time = document.createElement('time');
    setTime(time, key.expiresAt);
    element.append(time);
    const until = timeUntil(key.expiresAt);
    if (until === null) {
      element.append(' (expired)');
      badges.append(makeBadge('Expired', 'expired'));
      return;
    }
    element.append(` (${until}${rolled ? ', at the end of its grace period' : ''})`);
    if (new Date(key.expiresAt).getTime() - Date.now() <= EXPIRY_WARNING_DAYS * DAY_MS) {
      badges.append(makeBadge(`Expires ${until}`, 'expiring'));
    }
  }

  /** The key's usage, if the server gives it: a 30-bar chart with its numbers as text, and the last client. */
  function renderUsage(item, key) {
    const usage = key.usage;
    if (!usage || typeof usage !== 'object') return;
    const address = usage.lastClientAddress;
    if (address !== undefined) {
      item.querySelector('.client-term').hidden = false;
      const client = item.querySelector('.client');
      client.hidden = false;
      if (address) {
        const code = document.createElement('code');
        code.className = 'client-address';
        code.textContent = String(address);
        client.append(code);
      } else {
        client.textContent = 'None yet';
      }
    }
    const days = Array.isArray(usage.days) ? usage.days.map((count) => (Number.isFinite(count) && count > 0 ? count : 0)) : null;
    if (!days || days.length === 0) return;
    const container = item.querySelector('.usage');
    container.append(usageChart(days, usage.firstDay, key.name));
    container.hidden = false;
  }

  /** The UTC date `offset` days after `firstDay` (YYYY-MM-DD), or null if `firstDay` is not a date. */
  function dayAfter(firstDay, offset) {
    const start = Date.parse(`${firstDay}T00:00:00Z`);
    if (!/^\d{4}-\d{2}-\d{2}$/.test(String(firstDay)) || Number.isNaN(start)) return null;
    return new Date(start + offset * DAY_MS).toISOString().slice(0, 10);
  }

  const SVG = 'http://www.w3.org/2000/svg';

  function svgElement(name, attributes) {
    const element = document.createElementNS(SVG, name);
    for (const [attribute, value] of Object.entries(attributes || {})) element.setAttribute(attribute, String(value));
    return element;
  }

  /** A bar per day, oldest first (built with DOM calls: no markup, no inline style), named by its numbers. */
  function usageChart(days, firstDay, name) {
    const barWidth = 6;
    const gap = 2;
    const height = 40;
    const width = days.length * (barWidth + gap) - gap;
    const total = days.reduce((sum, count) => sum + count, 0);
    const today = days[days.length - 1];
    const summary = `${plural(total, 'request')} in the last ${plural(days.length, 'day')}, ${today} today`;
    const label = `Usage of ${name}: ${summary}`;
    const svg = svgElement('svg', {
      class: 'usage-chart',
      viewBox: `0 0 ${width} ${height}`,
      width,
      height,
      role: 'img',
      'aria-label': label,
      focusable: 'false',
    });
    const title = svgElement('title');
    title.textContent = label;
    svg.append(title);
    svg.append(svgElement('line', { class: 'usage-axis', x1: 0, y1: height - 0.5, x2: width, y2: height - 0.5 }));
    const most = Math.max(1, ...days);
    days.forEach((count, index) => {
      // A day without requests is a short mark on the axis, so the 30 days read as slots.
      const barHeight = count === 0 ? 2 : Math.max(3, Math.round((count / most) * (height - 2)));
      const kind = count === 0 ? 'usage-slot' : 'usage-bar';
      const bar = svgElement('rect', {
        class: index === days.length - 1 ? `${kind} today` : kind,
        x: index * (barWidth + gap),
        y: height - barHeight,
        width: barWidth,
        height: barHeight,
      });
      const barTitle = svgElement('title');
      const day = dayAfter(firstDay, index);
      barTitle.textContent = `${day || `Day ${index + 1}`}: ${plural(count, 'request')}`;
      bar.append(barTitle);
      svg.append(bar);
    });
    const caption = document.createElement('p');
    caption.className = 'usage-summary';
    caption.textContent = summary;
    const figure = document.createElement('figure');
    figure.className = 'usage-figure';
    figure.append(svg, caption);
    return figure;
  }

  /** The `expiresAt` the form asks for: null for never, undefined (with a message shown) if it cannot be used. */
  function chosenExpiry() {
    const choice = $('key-expiry').value;
    if (choice === 'never') return null;
    if (choice === 'custom') {
      const value = $('key-expiry-date').value;
      const parts = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
      if (!parts) return undefined;
      // The end of that day in the browser's time zone.
      const end = new Date(Number(parts[1]), Number(parts[2]) - 1, Number(parts[3]), 23, 59, 59);
      return Number.isNaN(end.getTime()) ? undefined : end.toISOString();
    }
    const days = parseInt(choice, 10);
    return new Date(Date.now() + days * DAY_MS).toISOString();
  }

  /** Back to a key without expiry and with full access, as the API's defaults. */
  function resetKeyForm() {
    $('key-name').value = '';
    $('key-expiry').value = 'never';
    $('key-expiry-date').value = '';
    $('key-form').querySelector('input[name="scope"][value="full"]').checked = true;
    expiryChoiceChanged();
  }

  function expiryChoiceChanged() {
    const custom = $('key-expiry').value === 'custom';
    $('key-expiry-date-field').hidden = !custom;
    $('key-expiry-date').required = custom;
  }

  async function createKey(event) {
    event.preventDefault();
    const error = $('key-error');
    clearError(error);
    const expiresAt = chosenExpiry();
    if (expiresAt === undefined) {
      showError(error, new Problem(400, {
        detail: 'Choose the date the key expires.',
        errors: [{ field: 'expiresAt', message: 'needs a date' }],
      }), KEY_FIELD_LABELS);
      $('key-expiry-date').focus();
      return;
    }
    const scope = $('key-form').querySelector('input[name="scope"]:checked');
    const body = { name: $('key-name').value, scope: scope ? scope.value : 'full' };
    if (expiresAt) body.expiresAt = expiresAt;
    await busy(event.submitter || $('key-form').querySelector('button[type="submit"]'), async () => {
      try {
        const created = await api('POST', '/api/auth/api-keys', body);
        resetKeyForm();
        showNewKey(created, '');
        await loadKeys();
      } catch (problem) {
        showError(error, problem, KEY_FIELD_LABELS);
      }
    });
  }

  /** Shows a new key's plaintext, this once, with `note` (what happened to a rolled key) if any. */
  function showNewKey(created, note) {
    $('new-key-name').textContent = `“${created.name}”`;
    $('new-key-value').value = created.key;
    $('copy-status').textContent = '';
    $('new-key-note').textContent = note;
    $('new-key-note').hidden = !note;
    $('new-key').hidden = false;
    $('copy-key').focus();
  }

  async function copyKey() {
    const input = $('new-key-value');
    const status = $('copy-status');
    try {
      await navigator.clipboard.writeText(input.value);
      status.textContent = 'Copied to the clipboard.';
    } catch (error) {
      // No clipboard access (an insecure context, say): select the key for the person to copy.
      input.focus();
      input.select();
      status.textContent = 'The key is selected: press Ctrl+C (or ⌘C) to copy it.';
    }
  }

  /** Removes the one copy of a new key the page holds. */
  function forgetNewKey() {
    $('new-key-value').value = '';
    $('new-key-name').textContent = '';
    $('copy-status').textContent = '';
    $('new-key-note').textContent = '';
    $('new-key-note').hidden = true;
    $('new-key').hidden = true;
  }

  function askRevoke(key, button) {
    state.revokeTarget = { key, button };
    $('revoke-name').textContent = key.name;
    clearError($('revoke-error'));
    $('revoke-dialog').showModal();
    $('revoke-cancel').focus();
  }

  async function confirmRevoke(event) {
    const choice = event.submitter ? event.submitter.value : 'cancel';
    if (choice !== 'revoke' || !state.revokeTarget) return; // The dialog closes by itself.
    event.preventDefault();
    const { key } = state.revokeTarget;
    await busy($('revoke-confirm'), async () => {
      try {
        await api('DELETE', `/api/auth/api-keys/${encodeURIComponent(key.id)}`);
        finishRevoke();
      } catch (problem) {
        if (problem.status === 404) { finishRevoke(); return; }
        showError($('revoke-error'), problem);
      }
    });
  }

  function finishRevoke() {
    state.revokeTarget = null;
    $('revoke-dialog').close('revoked');
    loadKeys();
    const heading = $('keys-list-title');
    heading.tabIndex = -1;
    heading.focus();
  }

  function revokeDialogClosed() {
    const target = state.revokeTarget;
    state.revokeTarget = null;
    if (target) focusKeyButton(target, 'revoke');
  }

  /** Gives focus back to the button that opened a dialog, or to its like if the list was re-rendered since. */
  function focusKeyButton(target, kind) {
    const button = target.button.isConnected
      ? target.button
      : $('key-list').querySelector(`li[data-id="${CSS.escape(target.key.id)}"] button.${kind}`);
    if (button && !button.hidden) button.focus();
  }

  function askRoll(key, button) {
    state.rollTarget = { key, button };
    $('roll-name').textContent = key.name;
    clearError($('roll-error'));
    const checked = $('roll-form').querySelector('input[name="grace"]:checked');
    $('roll-dialog').showModal();
    // Focus starts on the choice to make: the grace period (its selected option).
    checked.focus();
  }

  async function confirmRoll(event) {
    const choice = event.submitter ? event.submitter.value : 'cancel';
    if (choice !== 'roll' || !state.rollTarget) return; // The dialog closes by itself.
    event.preventDefault();
    const { key } = state.rollTarget;
    const graceSeconds = parseInt($('roll-form').querySelector('input[name="grace"]:checked').value, 10);
    await busy($('roll-confirm'), async () => {
      try {
        const created = await api('POST', `/api/auth/api-keys/${encodeURIComponent(key.id)}/roll`, { graceSeconds });
        // The new key's panel takes the focus, not the Roll button.
        state.rollTarget = null;
        $('roll-dialog').close('rolled');
        await loadKeys();
        showNewKey(created, rolledNote(key, graceSeconds));
      } catch (problem) {
        showError($('roll-error'), problem);
      }
    });
  }

  /** What became of the old key, as the list now says. */
  function rolledNote(key, graceSeconds) {
    const old = state.keys.find((candidate) => candidate.id === key.id);
    if (graceSeconds === 0 || !old) return `It replaces the old key ${key.preview}, which no longer works.`;
    if (!old.expiresAt) return `It replaces the old key ${key.preview}.`;
    return `It replaces the old key ${key.preview}, which keeps working until ${formatTime(old.expiresAt)}.`;
  }

  function rollDialogClosed() {
    const target = state.rollTarget;
    state.rollTarget = null;
    if (target) focusKeyButton(target, 'roll');
  }

  // ---- Activity ---------------------------------------------------------------------------

  async function startActivity() {
    try {
      const page = await api('GET', '/api/mission-control/activity?limit=50');
      const events = page.data || [];
      // Oldest first, so that each lands on top of the one before it.
      for (const event of events.slice().reverse()) addEvent(event.id, event);
      if (events.length) state.lastEventId = events[0].id;
    } catch (problem) {
      if (problem.handled) return;
      setStreamStatus(describe(problem));
    }
    if (state.user) openStream();
  }

  function openStream() {
    closeStream();
    let url = '/api/mission-control/activity/stream';
    // Resumes after what the page already shows; the browser then reconnects with Last-Event-ID by itself.
    if (state.lastEventId) url += `?lastEventId=${encodeURIComponent(state.lastEventId)}`;
    const source = new EventSource(url);
    state.source = source;
    setStreamStatus('Connecting…');
    source.addEventListener('open', () => {
      if (source !== state.source) return;
      state.reopenDelay = 3000;
      setStreamStatus('Live: new events appear here as they happen.');
    });
    for (const type of EVENT_TYPES) {
      source.addEventListener(type, (message) => {
        if (source !== state.source) return;
        let event;
        try { event = JSON.parse(message.data); } catch (error) { return; }
        if (message.lastEventId) state.lastEventId = message.lastEventId;
        addEvent(message.lastEventId, event);
        refreshFor(event);
      });
    }
    source.addEventListener('reset', () => {
      if (source !== state.source) return;
      // Some events were no longer kept: start the feed and the lists afresh; the stream carries on.
      $('activity-list').replaceChildren();
      state.seenEvents.clear();
      const notice = $('feed-notice');
      notice.textContent = `Some events from while the feed was disconnected are no longer kept: the feed and lists were reloaded at ${new Date().toLocaleTimeString()}.`;
      notice.hidden = false;
      reloadAfterReset();
    });
    source.addEventListener('error', () => {
      if (source !== state.source) return;
      if (source.readyState === EventSource.CONNECTING) {
        // The browser reconnects by itself, sending Last-Event-ID: nothing to do but say so.
        setStreamStatus('Connection lost: reconnecting…');
        return;
      }
      // CLOSED: the server refused the stream (signed out, too many streams). Find out, then maybe retry.
      setStreamStatus('Disconnected from the live feed.');
      scheduleReopen();
    });
  }

  function scheduleReopen() {
    clearTimeout(state.reopenTimer);
    const delay = state.reopenDelay;
    state.reopenDelay = Math.min(state.reopenDelay * 2, 60000);
    state.reopenTimer = setTimeout(async () => {
      if (!state.user) return;
      try {
        await api('GET', '/api/auth/me');
        if (state.user) openStream();
      } catch (problem) {
        if (!problem.handled) scheduleReopen();
      }
    }, delay);
  }

  function closeStream() {
    clearTimeout(state.reopenTimer);
    if (state.source) {
      state.source.close();
      state.source = null;
    }
    setStreamStatus('Not connected.');
  }

  function setStreamStatus(text) {
    $('stream-status').textContent = text;
  }

  async function reloadAfterReset() {
    try {
      const page = await api('GET', '/api/mission-control/activity?limit=50');
      for (const event of (page.data || []).slice().reverse()) addEvent(event.id, event);
    } catch (problem) {
      if (!problem.handled) setStreamStatus(describe(problem));
    }
    loadDesktops();
    loadKeys();
  }

  function addEvent(id, event) {
    if (id && state.seenEvents.has(id)) return;
    if (id) state.seenEvents.add(id);
    const item = fromTemplate('event-item');
    if (id) item.dataset.id = id;
    item.querySelector('.event-type').textContent = event.type;
    setTime(item.querySelector('.event-time'), event.at);
    item.querySelector('.event-summary').textContent = summarize(event);
    const list = $('activity-list');
    list.prepend(item);
    while (list.children.length > FEED_LIMIT) list.lastElementChild.remove();
    $('activity-empty').hidden = true;
  }

  function desktopName(id) {
    const desktop = state.desktops.find((candidate) => candidate.id === id);
    return desktop ? `“${desktop.name}”` : 'a desktop';
  }

  function summarize(event) {
    const data = event.data || {};
    switch (event.type) {
      case 'task.created': return `New task on ${desktopName(data.desktopId)}: “${truncate(data.content, 140)}”`;
      case 'task.updated': return `Task “${truncate(data.content, 100)}” is now ${data.status}`;
      case 'desktop.created': return `Desktop “${data.name}” created (${data.status})`;
      case 'desktop.updated': return `Desktop “${data.name}” updated: ${data.status}`;
      case 'desktop.deleted': return `Desktop “${data.name}” deleted`;
      case 'api_key.created': return `API key “${data.name}” created (${data.preview})`;
      case 'api_key.revoked': return `API key “${data.name}” revoked (${data.preview})`;
      case 'api_key.rolled': return `API key “${data.name}” rolled (${data.preview}): it expires after its grace period`;
      case 'api_key.leaked': return `API key “${data.name}” revoked: it was reported as leaked (${data.preview})`;
      case 'api_key.revoked_unused': return `API key “${data.name}” revoked: it was unused for too long (${data.preview})`;
      default: return event.type;
    }
  }

  /** Brings the lists an event touches up to date, once per burst of events. */
  function refreshFor(event) {
    const data = event.data || {};
    if (event.type.startsWith('task.')) {
      if (data.desktopId === state.selectedDesktop) debounce('tasks', loadTasks);
    } else if (event.type.startsWith('desktop.')) {
      debounce('desktops', loadDesktops);
    } else if (event.type.startsWith('api_key.')) {
      debounce('keys', loadKeys);
    }
  }

  function debounce(name, action) {
    clearTimeout(state.refreshTimers[name]);
    state.refreshTimers[name] = setTimeout(() => { if (state.user) action(); }, 200);
  }

  // ---- Start ------------------------------------------------------------------------------

  async function boot() {
    $('dev-login-form').addEventListener('submit', devLogin);
    $('sign-out').addEventListener('click', signOut);
    $('desktop-form').addEventListener('submit', createDesktop);
    $('task-form').addEventListener('submit', createTask);
    $('task-desktop').addEventListener('change', (event) => selectDesktop(event.target.value));
    $('key-form').addEventListener('submit', createKey);
    $('key-expiry').addEventListener('change', expiryChoiceChanged);
    $('copy-key').addEventListener('click', copyKey);
    $('dismiss-key').addEventListener('click', () => {
      forgetNewKey();
      $('key-name').focus();
    });
    $('revoke-form').addEventListener('submit', confirmRevoke);
    $('revoke-dialog').addEventListener('close', revokeDialogClosed);
    $('roll-form').addEventListener('submit', confirmRoll);
    $('roll-dialog').addEventListener('close', rollDialogClosed);
    window.addEventListener('hashchange', () => { if (state.user) showView(currentView(), true); });

    try {
      const me = await api('GET', '/api/auth/me');
      enterApp(me);
    } catch (problem) {
      showSignIn(problem.status === 401 ? '' : describe(problem));
    }
  }

  boot();
})();
