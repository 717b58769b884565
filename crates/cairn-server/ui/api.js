// Fetch wrappers for the MLflow REST API and Cairn's page-data endpoints.
import { busy } from './util.js';

export class ApiError extends Error {
  constructor(message, code, status) { super(message); this.code = code; this.status = status; }
}

async function call(url, init) {
  busy(1);
  try {
    const res = await fetch(url, init);
    const text = await res.text();
    let body = {};
    try { body = text ? JSON.parse(text) : {}; } catch { body = { message: text }; }
    if (!res.ok) throw new ApiError(body.message || `HTTP ${res.status}`, body.error_code, res.status);
    return body;
  } finally { busy(-1); }
}

function qs(params) {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params || {})) if (v !== undefined && v !== null && v !== '') u.set(k, v);
  const s = u.toString();
  return s ? `?${s}` : '';
}

export const mlflow = {
  get: (path, params) => call(`/ajax-api/2.0/mlflow/${path}${qs(params)}`),
  post: (path, body) => call(`/ajax-api/2.0/mlflow/${path}`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
  }),
};

export const cairn = (path, params) => call(`/ajax-api/2.0/cairn/${path}${qs(params)}`);

export function artifactUrl(runId, path) {
  return `/get-artifact${qs({ run_uuid: runId, path })}`;
}
