import { useEffect, useState } from 'preact/hooks';
import { request } from './api.js';

// The store's models (and which are loaded, with their keep-alive expiry), refreshed every few seconds.
// Returns { models, error, reload }.
export function useModels(intervalMs = 5000) {
  const [state, setState] = useState({ models: [], error: '' });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    const load = async () => {
      try {
        const [tags, ps] = await Promise.all([request('/api/tags'), request('/api/ps')]);
        const loaded = new Map(ps.models.map((m) => [m.name, m]));
        if (live) setState({ models: tags.models.map((m) => ({ ...m, loaded: loaded.get(m.name) || null })), error: '' });
      } catch (e) {
        if (live) setState((s) => ({ ...s, error: 'Could not list models: ' + e.message }));
      }
    };
    load();
    const t = setInterval(load, intervalMs);
    return () => { live = false; clearInterval(t); };
  }, [tick]);
  return { ...state, reload: () => setTick((t) => t + 1) };
}
