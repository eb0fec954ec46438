// One message as the page shows it: sender, time, the text (as text, with
// @mentions marked), what it replies to, its file, and its actions.
import { h, safeURL, formatSize, timeEl } from './dom.js';

const MENTION = /@([\p{L}\p{N}_.-]+)/gu;
const IMAGE_EXT = /\.(png|jpe?g|gif|webp|svg)(\?|#|$)/i;
const FILE_ICON = new URL('./file.svg', import.meta.url).href;

export function mentionsUser(content, username) {
  if (!content || !username) return false;
  const want = username.toLowerCase();
  for (const m of content.matchAll(MENTION)) if (m[1].toLowerCase() === want) return true;
  return false;
}

// textWithMentions splits the text into text nodes and mention spans.
function textWithMentions(content) {
  const out = [];
  let last = 0;
  for (const m of content.matchAll(MENTION)) {
    if (m.index > last) out.push(content.slice(last, m.index));
    out.push(h('span', { class: 'mention' }, m[0]));
    last = m.index + m[0].length;
  }
  if (last < content.length) out.push(content.slice(last));
  return out;
}

function fileName(m, file) {
  if (file && file.original_filename) return file.original_filename;
  const fromContent = /^📎\s*Archivo:\s*(.+)$/u.exec(m.content || '');
  if (fromContent) return fromContent[1];
  try {
    const last = decodeURIComponent(new URL(m.file_url, location.href).pathname.split('/').pop() || '');
    return last.replace(/^[0-9a-f-]{36}_/, '') || 'file';
  } catch {
    return 'file';
  }
}

function attachment(m, ctx) {
  const url = safeURL(m.file_url || (m.file && m.file.file_url));
  if (!url) return null;
  const file = ctx.fileInfo(m, () => {
    // The details arrived: draw the card again with them.
    const fresh = document.querySelector(`#message-list [data-id="${m.id}"]`);
    if (fresh) fresh.replaceWith(renderMessage(m, ctx));
  });
  const name = fileName(m, file);
  const image = file && file.content_type ? file.content_type.startsWith('image/') : IMAGE_EXT.test(name) || IMAGE_EXT.test(url);
  if (image) {
    return h('a', { class: 'preview', href: url, target: '_blank', rel: 'noopener noreferrer' }, h('img', { src: url, alt: `Image: ${name}`, loading: 'lazy' }));
  }
  return h(
    'div',
    { class: 'file-card' },
    h('img', { src: FILE_ICON, alt: '', width: 28, height: 28 }),
    h('div', {}, h('div', { class: 'file-name' }, name), file && file.file_size ? h('div', { class: 'file-size' }, formatSize(file.file_size)) : null),
    h('a', { href: url, download: name, target: '_blank', rel: 'noopener noreferrer', 'aria-label': `Download ${name}` }, 'Download'),
  );
}

function replyQuote(m, ctx) {
  const r = m.reply_to || (m.reply_to_id ? ctx.byId(m.reply_to_id) : null);
  if (!r && !m.reply_to_id) return null;
  const text = r ? `${r.username}: ${r.content || '(deleted message)'}` : 'a message that is not loaded';
  return h('div', { class: 'quote' }, h('span', { class: 'visually-hidden' }, 'In reply to '), '↪ ', text);
}

function editBox(m, ctx) {
  const box = h('textarea', { 'aria-label': 'Edit message', rows: 2 });
  box.value = m.content;
  const save = () => ctx.onEditSave(m, box.value);
  box.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      save();
    } else if (e.key === 'Escape') {
      e.preventDefault();
      ctx.onEditCancel(m);
    }
  });
  return h(
    'div',
    { class: 'edit-box' },
    box,
    h('div', { class: 'msg-actions' }, h('button', { type: 'button', onclick: save }, 'Save'), h('button', { type: 'button', onclick: () => ctx.onEditCancel(m) }, 'Cancel')),
  );
}

function actions(m, ctx, mine) {
  if (ctx.confirmDeleteId === m.id) {
    return h(
      'div',
      { class: 'msg-actions', role: 'group', 'aria-label': 'Delete this message?' },
      h('span', { class: 'muted' }, 'Delete this message?'),
      h('button', { type: 'button', class: 'confirm-delete', onclick: () => ctx.onDeleteConfirm(m) }, 'Yes, delete'),
      h('button', { type: 'button', onclick: () => ctx.onDeleteCancel(m) }, 'Cancel'),
    );
  }
  return h(
    'div',
    { class: 'msg-actions' },
    h('button', { type: 'button', onclick: () => ctx.onReply(m) }, 'Reply'),
    mine && ctx.features.edit && !m.file_url ? h('button', { type: 'button', onclick: () => ctx.onEdit(m) }, 'Edit') : null,
    (mine || ctx.moderator) && ctx.features.remove ? h('button', { type: 'button', onclick: () => ctx.onDelete(m) }, 'Delete') : null,
  );
}

// body is the text and the file; an upload's generated text ("📎 Archivo:
// <name>") is left out when the file itself is shown.
function body(m, ctx) {
  const file = attachment(m, ctx);
  const generated = file && /^📎\s*Archivo:/u.test(m.content || '');
  return [generated ? null : h('p', { class: 'msg-body' }, textWithMentions(m.content || '')), file];
}

export function renderMessage(m, ctx) {
  const mine = m.user_id === ctx.me.id;
  const sender = (m.sender && m.sender.username) || m.username || `user ${m.user_id}`;
  const classes = ['msg'];
  if (mine) classes.push('mine');
  if (!mine && mentionsUser(m.content, ctx.me.username)) classes.push('mentions-me');
  return h(
    'li',
    { class: classes.join(' '), 'data-id': m.id },
    h(
      'div',
      { class: 'msg-head' },
      h('span', { class: 'who' }, mine ? 'You' : sender),
      timeEl(m.created_at || m.timestamp),
      m.edited_at ? h('span', { class: 'edited', title: new Date(m.edited_at).toLocaleString() }, '(edited)') : null,
    ),
    replyQuote(m, ctx),
    ctx.editingId === m.id ? editBox(m, ctx) : body(m, ctx),
    actions(m, ctx, mine),
  );
}
