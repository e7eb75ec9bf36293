// Conversations live in this browser's localStorage only; export/import moves them as one JSON file.
const STORE = 'hearth.conversations';

export const defaultSettings = () => ({ system: '', temperature: 0.8, top_p: 0.95, max_tokens: 256, seed: '' });

export function newConversation(model) {
  return { id: crypto.randomUUID(), title: 'New chat', model: model || '', settings: defaultSettings(), messages: [], updated: Date.now() };
}

export function loadConversations() {
  try {
    const list = JSON.parse(localStorage.getItem(STORE) || '[]');
    return Array.isArray(list) ? list.filter(valid) : [];
  } catch {
    return [];
  }
}

export function saveConversations(list) {
  localStorage.setItem(STORE, JSON.stringify(list));
}

function valid(c) {
  return c && typeof c.id === 'string' && Array.isArray(c.messages)
    && c.messages.every((m) => m && typeof m.content === 'string' && ['user', 'assistant'].includes(m.role));
}

export function exportConversations(list) {
  const blob = new Blob([JSON.stringify({ format: 'hearth.conversations.v1', conversations: list }, null, 2)], { type: 'application/json' });
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = 'hearth-conversations.json';
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

// Parses an exported file; throws with a message the page shows when it is not one.
export function parseImport(text) {
  const data = JSON.parse(text);
  const list = Array.isArray(data) ? data : data?.conversations;
  if (!Array.isArray(list)) throw new Error('not a Hearth conversations file (no "conversations" array)');
  const good = list.filter(valid).map((c) => ({ ...newConversation(c.model), ...c, settings: { ...defaultSettings(), ...(c.settings || {}) } }));
  if (good.length === 0) throw new Error('the file has no valid conversations');
  return good;
}
