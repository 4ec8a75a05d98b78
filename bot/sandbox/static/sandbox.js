/* Steward sandbox page: plain JS, no build step, no network beyond this server. */
'use strict';

(function () {
  const POLL_MS = 700;

  // ------------------------------------------------------------------ small helpers

  const $ = (sel, root) => (root || document).querySelector(sel);

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === 'class') node.className = value;
      else if (key === 'text') node.textContent = value;
      else if (key === 'html') node.innerHTML = value;
      else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? '' : String(value));
    }
    for (const child of children.flat(Infinity)) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child.nodeType ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function esc(text) {
    return String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;').replace(/'/g, '&#39;');
  }

  const svg = (body) => '<svg class="ico" viewBox="0 0 16 16" width="14" height="14" aria-hidden="true">' + body + '</svg>';
  const ICON = {
    house: svg('<path d="M2 7.6 8 2.2l6 5.4V14h-4v-4H6v4H2z" fill="currentColor"/>'),
    lock: svg('<rect x="3" y="7" width="10" height="7.5" rx="1.5" fill="currentColor"/><path d="M5.2 7V5.2a2.8 2.8 0 0 1 5.6 0V7" fill="none" stroke="currentColor" stroke-width="1.6"/>'),
    reply: svg('<path d="M2 2.8h12v8.4H6.4L3.2 14v-2.8H2z" fill="none" stroke="currentColor" stroke-width="1.4" stroke-linejoin="round"/>'),
    eye: svg('<path d="M1 8s2.6-4.8 7-4.8S15 8 15 8s-2.6 4.8-7 4.8S1 8 1 8z" fill="none" stroke="currentColor" stroke-width="1.4"/><circle cx="8" cy="8" r="2.1" fill="currentColor"/>'),
    image: svg('<rect x="1.5" y="2.5" width="13" height="11" rx="1.5" fill="none" stroke="currentColor" stroke-width="1.3"/><path d="M3 12l3.5-4 2.5 3 1.8-2L13 12z" fill="currentColor"/><circle cx="11" cy="5.6" r="1.2" fill="currentColor"/>'),
    clip: svg('<path d="M10.5 4.5 5.3 9.7a1.6 1.6 0 0 0 2.3 2.3l5.6-5.6a3 3 0 0 0-4.3-4.3L3.3 7.7a4.4 4.4 0 0 0 6.2 6.2l4-4" fill="none" stroke="currentColor" stroke-width="1.3" stroke-linecap="round"/>'),
  };
  const iconNode = (name) => { const span = document.createElement('span'); span.innerHTML = ICON[name]; return span.firstChild; };

  const S = {
    as: localStorage.getItem('steward-sandbox.as') || null,
    channel: null,
    thread: null,
    view: 'messages',      // 'messages' | 'home'
    st: null,
    seq: 0,
    sigs: {},
    modalKey: null,
    modalErrors: {},
    seen: {},
    jobs: [],
    jobsLoaded: false,
    homeOpenedFor: null,
    confirmOpen: false,
  };

  // ------------------------------------------------------------------ server calls

  async function post(path, body) {
    let response;
    try {
      response = await fetch(path, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body || {}),
      });
    } catch (err) {
      toast('The sandbox server is not answering.', true);
      return { ok: false, error: 'network' };
    }
    let data = {};
    try { data = await response.json(); } catch (err) { data = { ok: false, error: 'bad_response' }; }
    if (!data.ok && data.error !== undefined) toast(data.message || data.error, true);
    return data;
  }

  async function load() {
    const seq = ++S.seq;
    const query = new URLSearchParams();
    if (S.as) query.set('as', S.as);
    if (S.channel) query.set('channel', S.channel);
    if (S.thread) query.set('thread', S.thread);
    let data;
    try {
      const response = await fetch('/api/state?' + query.toString(), { cache: 'no-store' });
      data = await response.json();
    } catch (err) {
      if (seq === S.seq) setStatus('offline', 'Sandbox server unreachable');
      return;
    }
    if (seq !== S.seq) return;   // a newer request was made (someone clicked): drop this answer
    if (!data.ok) {
      if (data.error === 'user_not_found') { S.as = null; localStorage.removeItem('steward-sandbox.as'); }
      return;
    }
    S.st = data;
    S.as = data.as;
    S.channel = data.channel.id;
    if (S.thread && !data.thread) S.thread = null;
    render();
  }

  async function pollLoop() {
    try { await load(); } finally { setTimeout(pollLoop, POLL_MS); }
  }

  let toastTimer = null;
  function toast(message, isError) {
    const box = $('#toast');
    box.textContent = message;
    box.className = 'toast' + (isError ? ' error' : '');
    box.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { box.hidden = true; }, isError ? 6000 : 3500);
  }

  // ------------------------------------------------------------------ people, time, text

  function person(id) {
    return (S.st && S.st.people.find((p) => p.id === id)) || null;
  }

  function me() { return person(S.as); }

  function myTz() { const p = me(); return (p && p.tz) || 'UTC'; }

  function tsDate(ts) { return new Date(parseFloat(ts) * 1000); }

  function fmt(date, options) {
    try {
      return new Intl.DateTimeFormat('en-US', Object.assign({ timeZone: myTz() }, options)).format(date);
    } catch (err) {
      return date.toISOString();
    }
  }

  function fmtTime(ts) { return fmt(tsDate(ts), { hour: 'numeric', minute: '2-digit' }); }

  function dayKey(date) { return fmt(date, { year: 'numeric', month: '2-digit', day: '2-digit' }); }

  function dayLabel(date) {
    const now = S.st ? new Date(S.st.now) : new Date();
    const key = dayKey(date);
    if (key === dayKey(now)) return 'Today';
    if (key === dayKey(new Date(now.getTime() - 86400000))) return 'Yesterday';
    return fmt(date, { weekday: 'long', month: 'long', day: 'numeric' });
  }

  function localParts(date) {
    const parts = {};
    new Intl.DateTimeFormat('en-CA', {
      timeZone: myTz(), year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
    }).formatToParts(date).forEach((p) => { parts[p.type] = p.value; });
    return parts;
  }

  // Every Slack shortcode (:palm_tree:, :+1:, :skin-tone-2:), served by the sandbox from the `emoji` package.
  let EMOJI = {};

  async function loadEmoji() {
    try {
      const data = await (await fetch('/api/emoji')).json();
      EMOJI = data.emoji || {};
    } catch (err) { return; }
    S.sigs = {};
    S.modalKey = null;
    if (S.st) render();
  }

  function emojify(html) {
    return html.replace(/:([\w+\-]+):/g, (match, name) => EMOJI[name] || match);
  }

  function channelName(id) {
    const found = S.st && S.st.channels.find((c) => c.id === id);
    return found ? found.name : id;
  }

  /** A <target|label> token's parts as Slack escapes them (&amp; &lt; &gt;), back to plain text. */
  function unslack(text) {
    return text === undefined ? undefined : text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
  }

  function renderToken(inner) {
    const [target, label] = inner.split('|', 2).map(unslack);
    if (target.startsWith('@')) {
      const id = target.slice(1);
      const p = person(id);
      const name = p ? p.display_name : (label || id);
      const cls = id === S.as ? 'mention me' : 'mention';
      return `<span class="${cls}" data-user="${esc(id)}">@${esc(name)}</span>`;
    }
    if (target.startsWith('#')) {
      return `<span class="mention">#${esc(label || channelName(target.slice(1)))}</span>`;
    }
    if (target.startsWith('!')) {
      const special = target.slice(1);
      if (special.startsWith('date')) return esc(label || special);
      if (special.startsWith('subteam')) return `<span class="mention">${esc(label || '@group')}</span>`;
      return `<span class="mention">@${esc(special)}</span>`;
    }
    if (/^(https?:|mailto:)/i.test(target)) {
      return `<a href="${esc(target)}" target="_blank" rel="noopener noreferrer">${esc(label || target)}</a>`;
    }
    return esc('<' + inner + '>');
  }

  /** Slack mrkdwn to safe HTML. */
  function mrkdwn(text) {
    if (text === null || text === undefined) return '';
    const tokens = [];
    const codes = [];
    let s = String(text).replace(/<([^<>\n]+)>/g, (m, inner) => { tokens.push(inner); return '\u0001' + (tokens.length - 1) + '\u0002'; });
    s = s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
    s = esc(s);
    s = s.replace(/```\n?([\s\S]*?)```/g, (m, code) => { codes.push('<pre>' + code + '</pre>'); return '\u0003' + (codes.length - 1) + '\u0004'; });
    s = s.replace(/`([^`\n]+)`/g, (m, code) => { codes.push('<code>' + code + '</code>'); return '\u0003' + (codes.length - 1) + '\u0004'; });
    s = s.replace(/\*(?=\S)([^*\n]*?\S)\*/g, '<b>$1</b>');
    s = s.replace(/(^|[^A-Za-z0-9])_(?=\S)([^_\n]*?\S)_(?![A-Za-z0-9])/g, '$1<i>$2</i>');
    s = s.replace(/~(?=\S)([^~\n]*?\S)~/g, '<s>$1</s>');
    s = emojify(s);
    const lines = s.split('\n');
    const out = [];
    let quote = [];
    const flush = () => { if (quote.length) { out.push('<blockquote>' + quote.join('<br>') + '</blockquote>'); quote = []; } };
    for (const line of lines) {
      if (line.startsWith('&gt;')) quote.push(line.replace(/^&gt;\s?/, ''));
      else { flush(); out.push(line + '\n'); }
    }
    flush();
    s = out.join('').replace(/\n$/, '').replace(/\n/g, '<br>').replace(/<\/blockquote><br>/g, '</blockquote>');
    s = s.replace(/\u0003(\d+)\u0004/g, (m, i) => codes[+i]);
    s = s.replace(/\u0001(\d+)\u0002/g, (m, i) => renderToken(tokens[+i]));
    return s;
  }

  function plain(textObj) {
    if (!textObj) return '';
    if (typeof textObj === 'string') return textObj;
    return textObj.text || '';
  }

  function textHtml(textObj) {
    if (!textObj) return '';
    if (typeof textObj === 'string') return mrkdwn(textObj);
    if (textObj.type === 'mrkdwn') return mrkdwn(textObj.text);
    return emojify(esc(textObj.text || '')).replace(/\n/g, '<br>');
  }

  function avatar(p, small) {
    const isBot = !p || p.is_bot;
    const node = el('div', { class: 'avatar' + (isBot ? ' bot' : '') + (small ? ' mini-avatar' : ''), 'aria-hidden': 'true' },
      isBot ? 'S' : p.initials);
    if (!isBot) node.style.background = p.color;
    return node;
  }

  // ------------------------------------------------------------------ Block Kit

  function optionText(option) { return plain(option && option.text); }

  function flatOptions(element) {
    if (element.options) return element.options;
    if (element.option_groups) return element.option_groups.flatMap((g) => g.options || []);
    return [];
  }

  let controlSeq = 0;

  /**
   * Build one interactive element. Returns {node, get()} where get() is the Slack state value
   * ({type, value | selected_option | ...}), or null for elements without state (buttons).
   * `onChange(fields)` fires for elements outside forms (immediate block_actions).
   */
  function buildElement(element, ctx, blockId, onChange, labelText) {
    const type = element.type;
    const id = 'ctl-' + (++controlSeq);
    const actionId = element.action_id || type;
    const change = (fields) => { if (onChange) onChange(fields); };
    if (type === 'button') {
      const cls = 'bk-btn' + (element.style === 'primary' ? ' primary' : element.style === 'danger' ? ' danger' : '');
      const node = el('button', {
        type: 'button', class: cls, 'data-testid': 'block-button', 'data-action-id': actionId,
        'data-block-id': blockId || '', 'data-value': element.value || '', title: element.url || null,
        'aria-label': element.accessibility_label || null,
      });
      node.innerHTML = emojify(esc(plain(element.text)));
      node.addEventListener('click', async () => {
        if (element.confirm && !(await confirmDialog(element.confirm))) return;
        node.disabled = true;
        try { await sendAction(ctx, blockId, actionId, element.value, null); } finally { node.disabled = false; }
      });
      return { node, get: null, actionId };
    }
    if (['static_select', 'external_select', 'overflow', 'users_select', 'conversations_select', 'channels_select'].includes(type)) {
      let choices;
      let field;
      if (type === 'users_select') {
        choices = (S.st ? S.st.people : []).filter((p) => !p.is_bot).map((p) => ({ value: p.id, label: p.real_name }));
        field = (v) => ({ selected_user: v });
      } else if (type === 'conversations_select' || type === 'channels_select') {
        choices = (S.st ? S.st.channels : []).map((c) => ({ value: c.id, label: c.kind === 'im' ? 'Steward (DM)' : '#' + c.name }));
        field = (v) => (type === 'channels_select' ? { selected_channel: v } : { selected_conversation: v });
      } else {
        const options = flatOptions(element);
        choices = options.map((o, i) => ({ value: String(i), label: optionText(o), option: o }));
        field = (v) => ({ selected_option: v === '' ? null : options[+v] });
      }
      const initial = element.initial_user || element.initial_channel || element.initial_conversation ||
        (element.initial_option ? String(flatOptions(element).findIndex((o) => o.value === element.initial_option.value)) : '');
      const placeholder = type === 'overflow' ? '\u22EF' : (plain(element.placeholder) || 'Select an option');
      const node = el('select', {
        id, class: 'bk-select' + (type === 'overflow' ? ' overflow' : ''), 'data-testid': 'block-select',
        'data-action-id': actionId, 'data-block-id': blockId || '',
        'aria-label': labelText ? null : (type === 'overflow' ? 'More actions' : placeholder),
      }, el('option', { value: '' }, placeholder), choices.map((c) => el('option', { value: c.value }, c.label)));
      if (initial) node.value = initial;
      const get = () => Object.assign({ type }, field(node.value));
      node.addEventListener('change', () => {
        if (node.value === '') return;
        const fields = field(node.value);
        change(fields);
        if (type === 'overflow' && onChange) node.value = '';
      });
      return { node, get: type === 'overflow' ? null : get, actionId, empty: () => node.value === '' };
    }
    if (type.startsWith('multi_')) {
      const options = type === 'multi_users_select'
        ? (S.st ? S.st.people : []).filter((p) => !p.is_bot).map((p) => ({ value: p.id, text: { type: 'plain_text', text: p.real_name } }))
        : type === 'multi_static_select' ? flatOptions(element)
          : (S.st ? S.st.channels : []).map((c) => ({ value: c.id, text: { type: 'plain_text', text: c.name } }));
      const initial = new Set((element.initial_options || []).map((o) => o.value)
        .concat(element.initial_users || [], element.initial_channels || [], element.initial_conversations || []));
      const node = el('select', { id, multiple: true, class: 'bk-select', 'data-testid': 'block-select', 'data-action-id': actionId },
        options.map((o, i) => el('option', { value: String(i), selected: initial.has(o.value) }, optionText(o))));
      const picked = () => Array.from(node.selectedOptions).map((o) => options[+o.value]);
      const get = () => {
        if (type === 'multi_static_select') return { type, selected_options: picked() };
        if (type === 'multi_users_select') return { type, selected_users: picked().map((o) => o.value) };
        if (type === 'multi_channels_select') return { type, selected_channels: picked().map((o) => o.value) };
        return { type, selected_conversations: picked().map((o) => o.value) };
      };
      node.addEventListener('change', () => { const v = get(); delete v.type; change(v); });
      return { node, get, actionId, empty: () => node.selectedOptions.length === 0 };
    }
    if (type === 'datepicker' || type === 'timepicker' || type === 'datetimepicker') {
      const inputType = type === 'datepicker' ? 'date' : type === 'timepicker' ? 'time' : 'datetime-local';
      const node = el('input', {
        id, type: inputType, class: 'bk-input', 'data-testid': 'block-' + type, 'data-action-id': actionId,
        'aria-label': labelText ? null : (plain(element.placeholder) || type),
      });
      if (element.initial_date) node.value = element.initial_date;
      if (element.initial_time) node.value = element.initial_time;
      if (element.initial_date_time) node.value = new Date(element.initial_date_time * 1000).toISOString().slice(0, 16);
      const get = () => {
        if (type === 'datepicker') return { type, selected_date: node.value || null };
        if (type === 'timepicker') return { type, selected_time: node.value || null };
        return { type, selected_date_time: node.value ? Math.floor(new Date(node.value + 'Z').getTime() / 1000) : null };
      };
      node.addEventListener('change', () => { const v = get(); delete v.type; change(v); });
      return { node, get, actionId, empty: () => !node.value };
    }
    if (type === 'checkboxes' || type === 'radio_buttons') {
      const options = element.options || [];
      const initial = new Set(type === 'checkboxes'
        ? (element.initial_options || []).map((o) => o.value)
        : element.initial_option ? [element.initial_option.value] : []);
      const name = id + '-name';
      const inputs = [];
      const node = el('fieldset', { class: 'bk-choices', id, 'data-testid': 'block-' + type, 'data-action-id': actionId },
        labelText ? el('legend', { class: 'sr-only' }, labelText) : null,
        options.map((o, i) => {
          const input = el('input', { type: type === 'checkboxes' ? 'checkbox' : 'radio', name, value: String(i), checked: initial.has(o.value) });
          inputs.push(input);
          const label = el('label', {}, input, el('span', { html: textHtml(o.text) },));
          if (o.description) label.lastChild.append(el('span', { class: 'desc' }, plain(o.description)));
          return label;
        }));
      const picked = () => inputs.filter((i) => i.checked).map((i) => options[+i.value]);
      const get = () => (type === 'checkboxes'
        ? { type, selected_options: picked() }
        : { type, selected_option: picked()[0] || null });
      node.addEventListener('change', () => { const v = get(); delete v.type; change(v); });
      return { node, get, actionId, empty: () => picked().length === 0 };
    }
    if (['plain_text_input', 'number_input', 'email_text_input', 'url_text_input'].includes(type)) {
      const inputType = { number_input: 'number', email_text_input: 'email', url_text_input: 'url' }[type] || 'text';
      const attrs = {
        id, class: 'bk-input', 'data-testid': 'block-input', 'data-action-id': actionId,
        placeholder: plain(element.placeholder) || null, maxlength: element.max_length || null,
        'aria-label': labelText ? null : (plain(element.placeholder) || 'input'),
      };
      let node;
      if (element.multiline) node = el('textarea', attrs);
      else {
        node = el('input', Object.assign({ type: inputType }, attrs));
        if (type === 'number_input') node.step = element.is_decimal_allowed ? 'any' : '1';
      }
      if (element.initial_value !== undefined) node.value = element.initial_value;
      const get = () => ({ type, value: node.value === '' ? null : node.value });
      node.addEventListener('change', () => change({ value: node.value }));
      return { node, get, actionId, empty: () => node.value.trim() === '' };
    }
    if (type === 'image') {
      return { node: el('span', { class: 'blk-image-inline', title: element.alt_text || '' }, iconNode('image')), get: null, actionId };
    }
    return { node: el('span', { class: 'blk-unknown' }, plain(element.text) || `[${type}]`), get: null, actionId };
  }

  async function sendAction(ctx, blockId, actionId, value, fields) {
    const body = { as: S.as, action_id: actionId, block_id: blockId || null, value: value === undefined ? null : value };
    if (fields) body.fields = fields;
    if (ctx.view_id) body.view_id = ctx.view_id;
    else {
      body.channel = ctx.channel;
      if (ctx.ephemeral) body.ephemeral_ts = ctx.ts; else body.message_ts = ctx.ts;
    }
    const result = await post('/api/action', body);
    await load();
    return result;
  }

  function richText(block) {
    const inline = (elements) => (elements || []).map((e) => {
      if (e.type === 'text') {
        let h = esc(e.text).replace(/\n/g, '<br>');
        const st = e.style || {};
        if (st.code) h = '<code>' + h + '</code>';
        if (st.bold) h = '<b>' + h + '</b>';
        if (st.italic) h = '<i>' + h + '</i>';
        if (st.strike) h = '<s>' + h + '</s>';
        return h;
      }
      if (e.type === 'link') return renderToken(e.url + (e.text ? '|' + e.text : ''));
      if (e.type === 'user') return renderToken('@' + e.user_id);
      if (e.type === 'channel') return renderToken('#' + e.channel_id);
      if (e.type === 'emoji') return EMOJI[e.name] || (':' + esc(e.name) + ':');
      if (e.type === 'broadcast') return renderToken('!' + e.range);
      return esc(e.text || '');
    }).join('');
    return (block.elements || []).map((part) => {
      if (part.type === 'rich_text_section') return '<div>' + inline(part.elements) + '</div>';
      if (part.type === 'rich_text_preformatted') return '<pre>' + inline(part.elements) + '</pre>';
      if (part.type === 'rich_text_quote') return '<blockquote>' + inline(part.elements) + '</blockquote>';
      if (part.type === 'rich_text_list') {
        const tag = part.style === 'ordered' ? 'ol' : 'ul';
        return `<${tag}>` + (part.elements || []).map((item) => '<li>' + inline(item.elements) + '</li>').join('') + `</${tag}>`;
      }
      return '';
    }).join('');
  }

  /**
   * Render Block Kit blocks. ctx: {channel, ts, ephemeral} for messages or {view_id, form} for views.
   * In forms, input blocks register a control in ctx.controls.
   */
  function renderBlocks(blocks, ctx) {
    const box = el('div', { class: 'blocks' });
    for (const block of blocks || []) {
      const blockId = block.block_id || null;
      const immediate = (element) => (fields) => sendAction(ctx, blockId, element.action_id || element.type, undefined, fields);
      switch (block.type) {
        case 'section': {
          const section = el('div', { class: 'blk-section', 'data-block-id': blockId || '' });
          const textCol = el('div', { class: 'mrkdwn', html: textHtml(block.text) });
          if (block.fields) textCol.append(el('div', { class: 'blk-fields' }, block.fields.map((f) => el('div', { html: textHtml(f) }))));
          section.append(textCol);
          if (block.accessory) section.append(buildElement(block.accessory, ctx, blockId, immediate(block.accessory)).node);
          box.append(section);
          break;
        }
        case 'header':
          box.append(el('h3', { class: 'blk-header', html: emojify(esc(plain(block.text))) }));
          break;
        case 'context':
          box.append(el('div', { class: 'blk-context' }, (block.elements || []).map((e) => (e.type === 'image'
            ? el('span', { title: e.alt_text || '' }, iconNode('image'))
            : el('span', { html: textHtml(e) })))));
          break;
        case 'divider':
          box.append(el('hr', { class: 'blk-divider' }));
          break;
        case 'actions':
          box.append(el('div', { class: 'blk-actions', 'data-block-id': blockId || '' },
            (block.elements || []).map((e) => buildElement(e, ctx, blockId, immediate(e)).node)));
          break;
        case 'image':
          box.append(el('div', { class: 'blk-image', role: 'img', 'aria-label': block.alt_text || 'image' },
            iconNode('image'), ' ', plain(block.title) || block.alt_text || 'Image'));
          break;
        case 'rich_text':
          box.append(el('div', { class: 'msg-text', html: richText(block) }));
          break;
        case 'input': {
          const labelText = plain(block.label);
          const element = block.element || {};
          const control = buildElement(element, ctx, blockId, ctx.form
            ? (block.dispatch_action ? immediate(element) : null) : immediate(element), labelText);
          const wrap = el('div', { class: 'input-block', 'data-testid': 'input-' + (blockId || element.action_id || 'block'), 'data-block-id': blockId || '' });
          const isGroup = element.type === 'checkboxes' || element.type === 'radio_buttons';
          wrap.append(isGroup
            ? el('div', { class: 'label' }, labelText, block.optional ? el('span', { class: 'optional' }, ' (optional)') : null)
            : el('label', { for: control.node.id }, labelText, block.optional ? el('span', { class: 'optional' }, ' (optional)') : null));
          wrap.append(control.node);
          if (block.hint) wrap.append(el('div', { class: 'hint' }, plain(block.hint)));
          const error = el('div', { class: 'error', 'data-testid': 'input-error', role: 'alert' });
          wrap.append(error);
          if (ctx.controls) {
            ctx.controls.push({ blockId: blockId || control.actionId, actionId: control.actionId, control, optional: !!block.optional, wrap, error });
          }
          box.append(wrap);
          break;
        }
        case 'file':
          box.append(el('div', { class: 'blk-unknown' }, iconNode('clip'), ' file ' + (block.external_id || '')));
          break;
        default: {
          const text = block.text ? textHtml(block.text) : esc(`[${block.type} block]`);
          box.append(el('div', { class: 'blk-unknown', html: text }));
        }
      }
    }
    return box;
  }

  // ------------------------------------------------------------------ confirm dialog

  function confirmDialog(confirm) {
    return new Promise((resolve) => {
      const root = $('#confirm-root');
      const done = (answer) => { root.innerHTML = ''; S.confirmOpen = false; resolve(answer); };
      S.confirmOpen = true;
      const okCls = 'bk-btn ' + (confirm.style === 'danger' ? 'danger' : 'primary');
      const dialog = el('div', { class: 'overlay', onkeydown: (e) => { if (e.key === 'Escape') done(false); } },
        el('div', { class: 'modal', role: 'alertdialog', 'aria-modal': 'true', 'aria-labelledby': 'confirm-title', 'data-testid': 'confirm' },
          el('header', {}, el('h2', { id: 'confirm-title' }, plain(confirm.title) || 'Are you sure?')),
          el('div', { class: 'modal-body', html: textHtml(confirm.text) }),
          el('footer', {},
            el('button', { type: 'button', class: 'bk-btn', 'data-testid': 'confirm-cancel', onclick: () => done(false) }, plain(confirm.deny) || 'Cancel'),
            el('button', { type: 'button', class: okCls, 'data-testid': 'confirm-ok', onclick: () => done(true) }, plain(confirm.confirm) || 'Yes'))));
      root.append(dialog);
      $('[data-testid="confirm-ok"]', dialog).focus();
    });
  }

  // ------------------------------------------------------------------ rendering

  function setStatus(kind, label) {
    const box = $('#status');
    box.className = 'status ' + kind;
    $('.label', box).textContent = label;
  }

  function sig(key, value) {
    const json = JSON.stringify(value);
    if (S.sigs[key] === json) return false;
    S.sigs[key] = json;
    return true;
  }

  function render() {
    const st = S.st;
    $('#team-name').textContent = st.team.name;
    setStatus(st.connected ? 'online' : 'offline', st.connected ? 'Steward is connected' : 'Waiting for Steward to connect…');
    renderWho();
    renderClock();
    renderSidebar();
    renderMain();
    renderThread();
    renderModal();
    renderJobs();
    renderNotice();
    showHighlight();
  }

  /** Scroll once to the message a permalink pointed at (it stays highlighted until you go elsewhere). */
  function showHighlight() {
    if (!S.highlight || S.highlightShown === S.highlight) return;
    const where = S.thread ? '#thread-body' : '#messages';
    const node = document.querySelector(`${where} [data-testid="message"][data-ts="${S.highlight}"]`);
    if (!node) return;
    node.scrollIntoView({ block: 'center' });
    S.highlightShown = S.highlight;
  }

  function renderNotice() {
    const box = $('#notice');
    const text = S.st.notice;
    box.hidden = !text || S.noticeDismissed === text;
    if (text) $('#notice-text').textContent = text;
  }

  function renderWho() {
    const st = S.st;
    const humans = st.people.filter((p) => !p.is_bot && !p.deleted);
    if (sig('who', humans.map((p) => [p.id, p.real_name, p.title]))) {
      const select = $('#who');
      select.innerHTML = '';
      for (const p of humans) {
        select.append(el('option', { value: p.id, title: p.title || null }, p.real_name));
      }
    }
    $('#who').value = S.as;
    const p = me();
    if (p && sig('me', [p, Math.floor(Date.parse(st.now) / 60000)])) {
      const meBox = $('#me');
      meBox.innerHTML = '';
      meBox.append(avatar(p), el('div', {},
        el('div', {}, el('strong', {}, p.real_name), p.is_owner ? el('span', { class: 'tag', title: 'Workspace owner' }, 'OWNER') : null),
        p.title ? el('div', { class: 'sub' }, p.title) : null,
        el('div', { class: 'sub' }, p.tz.replace(/_/g, ' '), ' \u00B7 ', fmt(new Date(st.now), { hour: 'numeric', minute: '2-digit' }), ' local')));
    }
  }

  function renderClock() {
    const st = S.st;
    const now = new Date(st.now);
    $('#clock').textContent = fmt(now, { weekday: 'short', month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit' });
    const off = st.clock_offset_minutes;
    let text = '';
    if (Math.abs(off) >= 1) {
      const sign = off > 0 ? '+' : '\u2212';
      let m = Math.round(Math.abs(off));
      const d = Math.floor(m / 1440); m -= d * 1440;
      const h = Math.floor(m / 60); m -= h * 60;
      text = sign + [d ? d + 'd' : '', h ? h + 'h' : '', m ? m + 'm' : ''].filter(Boolean).join(' ') + ' vs real time';
    }
    $('#clock-offset').textContent = text;
  }

  function unread(channel) {
    const key = S.as + ':' + channel.id;
    if (!(key in S.seen)) { S.seen[key] = channel.latest; return false; }
    return channel.latest && channel.latest > S.seen[key];
  }

  function renderSidebar() {
    const st = S.st;
    const inDm = st.channel.kind === 'im';
    for (const c of st.channels) if (c.id === S.channel && S.view === 'messages') S.seen[S.as + ':' + c.id] = c.latest;
    const dmButton = $('#dm-steward');
    dmButton.classList.toggle('active', inDm && S.view === 'messages');
    const dm = st.channels.find((c) => c.kind === 'im');
    const dmUnread = dm && !(inDm && S.view === 'messages') && unread(dm);
    dmButton.classList.toggle('unread', !!dmUnread);
    const dot = $('.unread-dot', dmButton);
    if (dmUnread && !dot) dmButton.append(el('span', { class: 'unread-dot', 'aria-label': 'unread' }));
    if (!dmUnread && dot) dot.remove();
    $('#home-tab').classList.toggle('active', S.view === 'home');
    const channels = st.channels.filter((c) => c.kind !== 'im');
    const shape = channels.map((c) => [c.id, c.name, c.kind, c.bot_is_member, c.id === S.channel && S.view === 'messages', unread(c)]);
    if (!sig('sidebar', shape)) return;
    const list = $('#channel-list');
    list.innerHTML = '';
    for (const c of channels) {
      const active = c.id === S.channel && S.view === 'messages';
      const isUnread = !active && unread(c);
      const button = el('button', {
        type: 'button', class: 'nav-item' + (active ? ' active' : '') + (isUnread ? ' unread' : ''),
        'data-testid': 'channel-' + c.name, 'data-channel-id': c.id, 'aria-current': active ? 'page' : null,
        title: c.bot_is_member ? null : 'Steward is not in this channel',
        onclick: () => openChannel(c.id),
      }, el('span', { class: 'nav-icon', 'aria-hidden': 'true' }, c.kind === 'private' ? iconNode('lock') : '#'), c.name,
      !c.bot_is_member ? el('span', { class: 'note' }, 'no bot') : null,
      isUnread ? el('span', { class: 'unread-dot', 'aria-label': 'unread' }) : null);
      list.append(el('li', {}, button));
    }
  }

  function messageNode(m, ctxBase, inThread) {
    const isEphemeral = !!m.ephemeral;
    const fromSlack = m.source === 'slackbot';
    const p = isEphemeral ? person(S.st.bot.id) : person(m.user);
    const isBot = isEphemeral || !!m.bot_id || (p && p.is_bot);
    const name = fromSlack ? 'Slackbot' : isBot ? 'Steward' : (p ? p.real_name : (m.user || 'someone'));
    const ctx = Object.assign({}, ctxBase, { ts: m.ts, ephemeral: isEphemeral });
    const node = el('div', {
      class: 'msg' + (isEphemeral ? ' ephemeral' : '') + (isBot ? ' from-bot' : '') + (fromSlack ? ' from-slackbot' : '') +
        (m.ts === S.highlight ? ' highlight' : ''),
      'data-testid': 'message', 'data-ts': m.ts, 'data-user': isBot ? S.st.bot.id : (m.user || ''),
      'data-kind': fromSlack ? 'slackbot' : isEphemeral ? 'ephemeral' : isBot ? 'bot' : 'user',
    });
    node.append(avatar(isBot ? null : p));
    const body = el('div', { class: 'msg-body' });
    body.append(el('div', { class: 'meta' },
      el('span', { class: 'author' }, name), isBot && !fromSlack ? el('span', { class: 'app-badge', style: 'background:#e8e8e8;color:#555' }, 'APP') : null,
      el('time', { datetime: tsDate(m.ts).toISOString(), title: fmt(tsDate(m.ts), { dateStyle: 'full', timeStyle: 'short' }) }, fmtTime(m.ts)),
      m.edited ? el('span', { class: 'edited' }, '(edited)') : null));
    if (m.blocks && m.blocks.length) body.append(renderBlocks(m.blocks, ctx));
    else body.append(el('div', { class: 'msg-text' + (m.subtype ? ' subtype' : ''), 'data-testid': 'message-text', html: mrkdwn(m.text || '') }));
    if (m.blocks && m.blocks.length) body.lastChild.setAttribute('data-testid', 'message-text');
    if (m.reactions && m.reactions.length) {
      body.append(el('div', { class: 'reactions' }, m.reactions.map((r) => el('span', { class: 'reaction' }, (EMOJI[r.name] || ':' + r.name + ':') + ' ' + r.count))));
    }
    if (isEphemeral) {
      body.append(el('div', { class: 'eph-note' }, iconNode('eye'), 'Only visible to you',
        el('button', { type: 'button', class: 'link-btn', 'data-testid': 'dismiss', onclick: () => dismiss(m.ts) }, 'Dismiss')));
    }
    if (!inThread && m.reply_count) {
      const users = (m.reply_users || []).slice(0, 3).map((u) => avatar(person(u), true));
      body.append(el('button', { type: 'button', class: 'thread-summary', 'data-testid': 'thread-open', onclick: () => openThread(m.ts) },
        users, `${m.reply_count} ${m.reply_count === 1 ? 'reply' : 'replies'}`,
        m.latest_reply ? el('span', { class: 'muted' }, 'Last reply ' + fmtTime(m.latest_reply)) : null));
    }
    node.append(body);
    if (!inThread && !isEphemeral) {
      node.append(el('div', { class: 'msg-actions' },
        el('button', { type: 'button', 'data-testid': 'reply-in-thread', 'aria-label': 'Reply in thread', onclick: () => openThread(m.ts) }, iconNode('reply'), ' Reply')));
    }
    return node;
  }

  function renderMain() {
    const st = S.st;
    const isHome = S.view === 'home';
    const inDm = st.channel.kind === 'im';
    $('#steward-tabs').hidden = !(inDm || isHome);
    $('#tab-home').setAttribute('aria-selected', String(isHome));
    $('#tab-messages').setAttribute('aria-selected', String(!isHome));
    $('#messages').hidden = isHome;
    $('#composer-form').hidden = isHome;
    $('#composer-hint').hidden = isHome;
    $('#home').hidden = !isHome;
    if (isHome) {
      $('#conv-title').textContent = 'Steward';
      $('#conv-title').dataset.key = 'home';
      $('#conv-topic').textContent = 'Your Steward Home: what needs you today';
      renderHome();
      return;
    }
    const c = st.channel;
    const title = $('#conv-title');
    if (title.dataset.key !== c.id) {
      title.dataset.key = c.id;
      title.textContent = '';
      if (c.kind === 'private') title.append(iconNode('lock'), ' ');
      title.append(c.kind === 'im' ? 'Steward' : (c.kind === 'private' ? '' : '# ') + c.name);
    }
    $('#conv-topic').textContent = c.kind === 'im'
      ? 'Your direct messages with Steward. Only you can see them.'
      : (c.topic || '') + (c.bot_is_member ? '' : ' \u00B7 Steward is not in this channel, so it does not see these messages.');
    const composer = $('#composer');
    const placeholder = c.kind === 'im' ? 'Message Steward' : 'Message #' + c.name;
    if (composer.placeholder !== placeholder) composer.placeholder = placeholder;
    if (!sig('messages', [c.id, st.messages, st.people.length, S.as, dayKey(new Date(st.now)), S.highlight])) return;
    const box = $('#messages');
    const nearBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 80;
    const switched = S.sigs.lastChannel !== c.id + S.as;
    S.sigs.lastChannel = c.id + S.as;
    box.innerHTML = '';
    if (!st.messages.length) {
      box.append(el('div', { class: 'empty' }, c.kind === 'im'
        ? [el('div', { class: 'big' }, avatar(null)), el('p', {}, 'This is the start of your conversation with Steward.'),
          el('p', { html: 'Try <code>help</code>, tell it about a task, or run a slash command like <code>/steward help</code>.' })]
        : [el('p', {}, 'No messages in #' + c.name + ' yet.')]));
    }
    let lastDay = null;
    for (const m of st.messages) {
      const day = dayKey(tsDate(m.ts));
      if (day !== lastDay) { box.append(el('div', { class: 'day', role: 'separator' }, dayLabel(tsDate(m.ts)))); lastDay = day; }
      box.append(messageNode(m, { channel: c.id }, false));
    }
    if (switched || nearBottom) box.scrollTop = box.scrollHeight;
  }

  function renderHome() {
    const home = S.st.home;
    if (!sig('home', [home, S.as])) return;
    const box = $('#home');
    box.innerHTML = '';
    if (!home) {
      box.append(el('div', { class: 'empty' }, el('div', { class: 'big', html: ICON.house }),
        el('p', {}, S.st.connected ? 'Opening your Steward Home\u2026' : 'Steward is not connected yet, so its Home tab is empty.')));
      return;
    }
    box.append(renderBlocks(home.blocks, { view_id: home.id }));
  }

  function renderThread() {
    const st = S.st;
    const pane = $('#thread-pane');
    const open = !!(S.thread && st.thread && S.view === 'messages');
    pane.hidden = !open;
    $('#layout').classList.toggle('with-thread', open);
    if (!open) { S.sigs.thread = null; return; }
    $('#thread-where').textContent = st.channel.kind === 'im' ? 'with Steward' : '#' + st.channel.name;
    if (!sig('thread', [st.thread, st.channel.id, S.as, S.highlight])) return;
    const body = $('#thread-body');
    const nearBottom = body.scrollHeight - body.scrollTop - body.clientHeight < 80;
    body.innerHTML = '';
    body.append(messageNode(st.thread.parent, { channel: st.channel.id }, true));
    const n = st.thread.replies.filter((r) => !r.ephemeral).length;
    body.append(el('div', { class: 'reply-count' }, n + (n === 1 ? ' reply' : ' replies')));
    for (const r of st.thread.replies) body.append(messageNode(r, { channel: st.channel.id }, true));
    if (nearBottom || S.sigs.threadFor !== st.thread.ts) body.scrollTop = body.scrollHeight;
    S.sigs.threadFor = st.thread.ts;
  }

  function renderModal() {
    const view = S.st.modal;
    const root = $('#modal-root');
    // Whose modal, and which version of it, is on screen ("none": no modal); S.modalKey null means "draw
    // afresh". A person without a modal must clear the previous person's, or its overlay keeps every click.
    const key = S.st.as + ':' + (view ? view.id + ':' + view.hash : 'none');
    if (key === S.modalKey) return;
    S.modalKey = key;
    root.innerHTML = '';
    if (!view) return;
    const ctx = { view_id: view.id, form: true, controls: [] };
    const status = el('div', { class: 'modal-error', role: 'alert', 'data-testid': 'modal-error' });
    const submitLabel = view.submit ? plain(view.submit) : null;
    const closeLabel = view.close ? plain(view.close) : (submitLabel ? 'Cancel' : 'Close');
    const form = el('form', { novalidate: true },
      el('div', { class: 'modal-body' }, renderBlocks(view.blocks, ctx)),
      status,
      el('footer', {},
        el('button', { type: 'button', class: 'bk-btn', 'data-testid': 'modal-close', onclick: () => closeModal(view.id) }, closeLabel),
        submitLabel ? el('button', { type: 'submit', class: 'bk-btn primary', 'data-testid': 'modal-submit' }, submitLabel) : null));
    form.addEventListener('submit', (e) => { e.preventDefault(); submitModal(view, ctx, form, status); });
    const dialog = el('div', {
      class: 'modal', role: 'dialog', 'aria-modal': 'true', 'aria-labelledby': 'modal-title',
      'data-testid': 'modal', 'data-view-id': view.id, 'data-callback-id': view.callback_id || '',
    },
    el('header', {}, avatar(null), el('h2', { id: 'modal-title', 'data-testid': 'modal-title' }, plain(view.title)),
      el('button', { type: 'button', class: 'icon-btn', 'aria-label': 'Close', 'data-testid': 'modal-x', onclick: () => closeModal(view.id) }, '\u00D7')),
    form);
    const overlay = el('div', { class: 'overlay', 'data-testid': 'modal-overlay', onkeydown: (e) => { if (e.key === 'Escape' && !S.confirmOpen) closeModal(view.id); } }, dialog);
    root.append(overlay);
    const first = dialog.querySelector('input, textarea, select');
    (first || dialog.querySelector('button')).focus();
  }

  async function submitModal(view, ctx, form, status) {
    const values = {};
    let missing = false;
    for (const c of ctx.controls) {
      c.wrap.classList.remove('has-error');
      c.error.textContent = '';
      if (!c.control.get) continue;
      if (!c.optional && c.control.empty && c.control.empty()) {
        c.wrap.classList.add('has-error');
        c.error.textContent = 'Please complete this required field.';
        missing = true;
        continue;
      }
      values[c.blockId] = values[c.blockId] || {};
      values[c.blockId][c.actionId] = c.control.get();
    }
    if (missing) return;
    const submit = $('[data-testid="modal-submit"]', form);
    if (submit) submit.disabled = true;
    status.textContent = '';
    const result = await post('/api/view_submit', { as: S.as, view_id: view.id, values });
    if (submit) submit.disabled = false;
    if (result.ok && result.errors) {
      for (const [blockId, message] of Object.entries(result.errors)) {
        const c = ctx.controls.find((x) => x.blockId === blockId);
        if (c) { c.wrap.classList.add('has-error'); c.error.textContent = message; } else status.textContent = message;
      }
    } else if (!result.ok) {
      status.textContent = result.message || 'That did not work.';
    }
    await load();
  }

  async function closeModal(viewId) {
    await post('/api/view_close', { as: S.as, view_id: viewId });
    await load();
  }

  async function dismiss(ts) {
    await post('/api/ephemeral/dismiss', { as: S.as, ts });
    await load();
  }

  function renderJobs() {
    const button = $('#job-run');
    button.disabled = !S.st.bot_attached || !S.jobs.length;
    button.title = S.st.bot_attached ? 'Run the selected job now, as the scheduler would' : 'No bot is attached to the sandbox';
  }

  async function loadJobs() {
    try {
      const data = await (await fetch('/api/jobs', { cache: 'no-store' })).json();
      S.jobs = data.jobs || [];
    } catch (err) { S.jobs = []; }
    const select = $('#job-select');
    select.innerHTML = '';
    if (!S.jobs.length) select.append(el('option', { value: '' }, 'no jobs'));
    const groups = [['The day\u2019s rhythm', S.jobs.filter((j) => j.daily)], ['Other jobs', S.jobs.filter((j) => !j.daily)]];
    for (const [label, jobs] of groups) {
      if (!jobs.length) continue;
      select.append(el('optgroup', { label }, jobs.map((job) =>
        el('option', { value: job.name, title: job.description + ' (' + job.schedule + ')' }, job.name))));
    }
  }

  // ------------------------------------------------------------------ navigation and input

  function go(changes) {
    Object.assign(S, { highlight: null }, changes);
    S.sigs.sidebar = null;
    load();
  }

  function openChannel(id) { go({ channel: id, thread: null, view: 'messages' }); }

  function openThread(ts) {
    S.thread = ts;
    S.sigs.thread = null;
    // Focus the thread's composer once it is drawn, unless the person has moved on meanwhile
    // (closed the thread, or started typing elsewhere): stealing focus would close their autocomplete.
    const typingElsewhere = () => document.activeElement && document.activeElement.tagName === 'TEXTAREA';
    load().then(() => {
      const box = $('#thread-composer');
      if (box && S.thread === ts && !typingElsewhere()) box.focus();
    });
  }

  async function openHome() {
    go({ view: 'home', thread: null });
    await post('/api/home', { as: S.as });
    await load();
  }

  function openDm() {
    go({ channel: S.st ? S.st.dm : null, thread: null, view: 'messages' });
  }

  async function send(text, threadTs, picked) {
    const body = { as: S.as, channel: S.channel, text, picked };
    let result;
    if (!threadTs && text.trim().startsWith('/')) result = await post('/api/command', body);
    else result = await post('/api/message', Object.assign(body, { thread_ts: threadTs || null }));
    if (result.ok && result.slack) toast(result.slack);   // Slack handled it (a built-in command)
    await load();
    return result;
  }

  // ------------------------------------------------------------------ @people and #channel autocomplete

  const AC_LIMIT = 8;

  /**
   * The composer's autocomplete, as Slack's: typing @ or # lists people or channels; arrow keys move,
   * Enter or Tab picks, Escape closes. A pick inserts "@Daniel " / "#standup " and is remembered so that
   * the message goes out as <@U…> / <#C…|name> (the server builds the markup from the picked id).
   */
  function autocomplete(textarea, list) {
    const ac = { open: false, items: [], index: 0, start: 0, picked: [] };

    function query() {
      const before = textarea.value.slice(0, textarea.selectionStart);
      const m = before.match(/(^|[\s(\[{"'])([@#])([\w.\-]*)$/);
      return m ? { trigger: m[2], text: m[3].toLowerCase(), start: before.length - m[3].length - 1 } : null;
    }

    function candidates(q) {
      if (!S.st) return [];
      const starts = (words) => words.some((w) => (w || '').toLowerCase().startsWith(q.text));
      if (q.trigger === '@') {
        return S.st.people
          .filter((p) => !p.deleted && starts([p.name, p.display_name, ...p.real_name.split(' ')]))
          .sort((a, b) => Number(a.is_bot) - Number(b.is_bot) || a.real_name.localeCompare(b.real_name))
          .slice(0, AC_LIMIT)
          .map((p) => ({ id: p.id, label: '@' + (p.is_bot ? 'Steward' : p.display_name), title: p.is_bot ? 'Steward' : p.real_name,
            sub: p.is_bot ? 'app' : '@' + p.name, person: p }));
      }
      return S.st.channels
        .filter((c) => c.kind !== 'im' && c.kind !== 'mpim' && c.name.toLowerCase().includes(q.text))
        .sort((a, b) => Number(!a.name.startsWith(q.text)) - Number(!b.name.startsWith(q.text)) || a.name.localeCompare(b.name))
        .slice(0, AC_LIMIT)
        .map((c) => ({ id: c.id, label: '#' + c.name, title: c.name, sub: c.kind === 'private' ? 'private' : (c.topic || ''), channel: c }));
    }

    function close() {
      ac.open = false;
      list.hidden = true;
      list.innerHTML = '';
      textarea.setAttribute('aria-expanded', 'false');
      textarea.removeAttribute('aria-activedescendant');
    }

    function draw() {
      list.innerHTML = '';
      ac.items.forEach((item, i) => {
        const option = el('li', {
          id: list.id + '-' + i, role: 'option', 'data-testid': 'ac-option', 'data-id': item.id,
          'aria-selected': String(i === ac.index),
          onmousedown: (e) => { e.preventDefault(); ac.index = i; pick(); },
        }, item.person ? avatar(item.person, true) : el('span', { class: 'hash', 'aria-hidden': 'true' }, item.channel.kind === 'private' ? iconNode('lock') : '#'),
        el('span', {}, item.title), el('span', { class: 'sub' }, item.sub));
        list.append(option);
      });
      list.hidden = false;
      textarea.setAttribute('aria-expanded', 'true');
      textarea.setAttribute('aria-activedescendant', list.id + '-' + ac.index);
      const active = list.children[ac.index];
      if (active) active.scrollIntoView({ block: 'nearest' });
    }

    function refresh() {
      const q = query();
      const items = q ? candidates(q) : [];
      if (!items.length) { close(); return; }
      const same = ac.open && ac.start === q.start && ac.items.length === items.length;
      ac.items = items;
      ac.start = q.start;
      if (!same) ac.index = 0;
      ac.open = true;
      draw();
    }

    function pick() {
      const item = ac.items[ac.index];
      if (!item) return;
      const end = textarea.selectionStart;
      const value = textarea.value;
      const insert = item.label + ' ';
      textarea.value = value.slice(0, ac.start) + insert + value.slice(end);
      const caret = ac.start + insert.length;
      textarea.setSelectionRange(caret, caret);
      ac.picked.push({ label: item.label, id: item.id });
      close();
      autosize(textarea);
    }

    function onKey(e) {
      if (!ac.open) return false;
      if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        const step = e.key === 'ArrowDown' ? 1 : -1;
        ac.index = (ac.index + step + ac.items.length) % ac.items.length;
        draw();
      } else if ((e.key === 'Enter' && !e.shiftKey) || e.key === 'Tab') {
        pick();
      } else if (e.key === 'Escape') {
        close();
      } else {
        return false;
      }
      e.preventDefault();
      return true;
    }

    /** What was picked and is still in the text, in the order it appears (what the server expects). */
    function picked(text) {
      const seen = {};
      const found = [];
      for (const p of ac.picked) {
        let at = -1;
        for (let n = 0; n <= (seen[p.label] || 0); n += 1) {
          at = text.indexOf(p.label, at + 1);
          if (at < 0) break;
        }
        seen[p.label] = (seen[p.label] || 0) + 1;
        if (at >= 0) found.push({ at, label: p.label, id: p.id });
      }
      return found.sort((a, b) => a.at - b.at).map(({ label, id }) => ({ label, id }));
    }

    textarea.addEventListener('input', refresh);
    textarea.addEventListener('click', refresh);
    // Close when focus has really left (a click on an option keeps it: see onmousedown).
    textarea.addEventListener('blur', () => setTimeout(() => { if (document.activeElement !== textarea) close(); }, 150));
    return { onKey, picked, close, forget: () => { ac.picked = []; } };
  }

  function wireComposer(form, textarea, list, threadGetter) {
    const ac = autocomplete(textarea, list);
    const submit = async () => {
      const text = textarea.value;
      if (!text.trim()) return;
      ac.close();
      textarea.value = '';
      autosize(textarea);
      const result = await send(text, threadGetter(), ac.picked(text));
      if (!result.ok && result.error !== 'not_connected' && result.error !== 'operation_timeout') {
        textarea.value = text;   // give the text back so nothing typed is lost
        autosize(textarea);
      } else {
        ac.forget();
      }
    };
    form.addEventListener('submit', (e) => { e.preventDefault(); submit(); });
    textarea.addEventListener('keydown', (e) => {
      if (e.isComposing || ac.onKey(e)) return;
      if (e.key === 'Enter' && !e.shiftKey) { e.preventDefault(); submit(); }
    });
    textarea.addEventListener('input', () => autosize(textarea));
  }

  function autosize(textarea) {
    textarea.style.height = 'auto';
    textarea.style.height = Math.min(textarea.scrollHeight, 160) + 'px';
  }

  async function clock(body) {
    const result = await post('/api/clock', body);
    if (result.ok) toast('Sandbox time is now ' + fmt(new Date(result.now), { weekday: 'short', month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit' }));
    await load();
  }

  function nextMorning() {
    const now = S.st ? new Date(S.st.now) : new Date();
    const parts = localParts(now);
    let day = new Date(Date.UTC(+parts.year, +parts.month - 1, +parts.day));
    if (+parts.hour >= 9) day = new Date(day.getTime() + 86400000);
    return day.toISOString().slice(0, 10) + 'T09:00';
  }

  /** A link to a message in this workspace (a permalink Steward cited) opens that message here. */
  async function openPermalink(e) {
    const link = e.target.closest && e.target.closest('a[href]');
    if (!link || !S.st || !S.st.team.domain) return;
    const url = new URL(link.href);
    if (url.protocol !== 'https:' || url.hostname !== S.st.team.domain + '.slack.com' || !url.pathname.startsWith('/archives/')) return;
    e.preventDefault();
    let data;
    try {
      const query = new URLSearchParams({ as: S.as, url: link.href });
      data = await (await fetch('/api/permalink?' + query.toString(), { cache: 'no-store' })).json();
    } catch (err) { toast('The sandbox server is not answering.', true); return; }
    if (!data.ok) { toast(data.message || 'That message cannot be opened.', true); return; }
    S.highlightShown = null;
    go({ channel: data.channel, thread: data.thread_ts || null, view: 'messages', highlight: data.ts });
  }

  function wire() {
    $('#who').addEventListener('change', (e) => {
      localStorage.setItem('steward-sandbox.as', e.target.value);
      S.sigs = {};
      S.modalKey = null;
      $('#modal-root').innerHTML = '';  // the previous person's modal goes now; the new person's comes with their state
      go({ as: e.target.value, channel: null, thread: null, view: 'messages' });
    });
    $('#dm-steward').addEventListener('click', openDm);
    $('#tab-messages').addEventListener('click', openDm);
    $('#home-tab').addEventListener('click', openHome);
    $('#tab-home').addEventListener('click', openHome);
    $('#thread-close').addEventListener('click', () => go({ thread: null }));
    wireComposer($('#composer-form'), $('#composer'), $('#composer-ac'), () => null);
    wireComposer($('#thread-form'), $('#thread-composer'), $('#thread-composer-ac'), () => S.thread);
    $('#notice-close').addEventListener('click', () => { S.noticeDismissed = S.st && S.st.notice; renderNotice(); });
    document.addEventListener('click', openPermalink);
    document.querySelectorAll('[data-testid="clock-advance"]').forEach((b) => {
      b.addEventListener('click', () => clock({ advance_minutes: +b.dataset.minutes }));
    });
    $('[data-testid="clock-morning"]').addEventListener('click', () => clock({ set: nextMorning(), tz: myTz() }));
    $('[data-testid="clock-set-apply"]').addEventListener('click', () => {
      const value = $('#clock-set').value;
      if (!value) { toast('Pick a date and time first.', true); return; }
      clock({ set: value, tz: myTz() });
      $('.clock-more').open = false;
    });
    $('[data-testid="clock-reset"]').addEventListener('click', () => { clock({ reset: true }); $('.clock-more').open = false; });
    $('.clock-more').addEventListener('toggle', () => {
      if ($('.clock-more').open && S.st) {
        const p = localParts(new Date(S.st.now));
        $('#clock-set').value = `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}`;
      }
    });
    $('#job-run').addEventListener('click', async () => {
      const name = $('#job-select').value;
      if (!name) return;
      const button = $('#job-run');
      button.disabled = true;
      const result = await post('/api/jobs/' + encodeURIComponent(name), {});
      button.disabled = false;
      if (result.ok) toast(result.summary || `Ran ${name}.`);
      await load();
    });
  }

  wire();
  loadEmoji();
  loadJobs();
  pollLoop();
}());
