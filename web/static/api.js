// The server's REST API. Errors come back as ApiError with the server's words
// (the contract's {error, detail}); a 401 ends the session.

export class ApiError extends Error {
  constructor(status, message, body) {
    super(message);
    this.status = status;
    this.body = body;
  }
}

const TOKEN_KEY = 'izpochat.token';

export class Api {
  constructor(onUnauthorized) {
    this.onUnauthorized = onUnauthorized;
    this.token = localStorage.getItem(TOKEN_KEY) || '';
  }

  setToken(token) {
    this.token = token || '';
    if (token) localStorage.setItem(TOKEN_KEY, token);
    else localStorage.removeItem(TOKEN_KEY);
  }

  async request(method, path, body, { auth = true } = {}) {
    const headers = { Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (auth && this.token) headers.Authorization = `Bearer ${this.token}`;
    let res;
    try {
      res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch {
      throw new ApiError(0, 'The server cannot be reached. Check your connection.');
    }
    if (res.status === 204) return null;
    let data = null;
    try {
      data = await res.json();
    } catch {
      // not JSON (a proxy's error page): the status speaks
    }
    if (!res.ok) {
      const err = new ApiError(res.status, errorText(res.status, data), data);
      if (res.status === 401 && auth && this.token) this.onUnauthorized(err);
      throw err;
    }
    return data;
  }

  get(path) { return this.request('GET', path); }
  post(path, body = {}) { return this.request('POST', path, body); }
  patch(path, body) { return this.request('PATCH', path, body); }
  del(path) { return this.request('DELETE', path); }

  // upload posts one file to a room with XMLHttpRequest, which reports upload
  // progress (fetch does not). onProgress gets 0..100.
  upload(roomId, file, onProgress) {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open('POST', '/api/upload');
      xhr.setRequestHeader('Authorization', `Bearer ${this.token}`);
      xhr.setRequestHeader('Accept', 'application/json');
      xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(Math.round((e.loaded / e.total) * 100));
      xhr.onerror = () => reject(new ApiError(0, 'The upload was interrupted. Check your connection.'));
      xhr.onload = () => {
        let data = null;
        try {
          data = JSON.parse(xhr.responseText);
        } catch {
          // not JSON
        }
        if (xhr.status >= 200 && xhr.status < 300) return resolve(data);
        const err = new ApiError(xhr.status, uploadErrorText(xhr.status, data), data);
        if (xhr.status === 401) this.onUnauthorized(err);
        reject(err);
      };
      const form = new FormData();
      form.append('file', file, file.name || 'pasted-file');
      form.append('room_id', String(roomId));
      xhr.send(form);
    });
  }
}

function serverText(data) {
  if (data && typeof data === 'object') return data.error || (typeof data.detail === 'string' ? data.detail : '') || data.message || '';
  return '';
}

function errorText(status, data) {
  const text = serverText(data);
  if (status === 429) return text || 'Too many requests. Wait a moment and try again.';
  if (status >= 500) return 'The server had a problem. Try again in a moment.';
  return text || `The request failed (${status}).`;
}

function uploadErrorText(status, data) {
  const text = serverText(data);
  if (status === 413) return `This file is too large for the server${text ? ` (${text})` : ''}.`;
  if (status === 415) return `This type of file is not allowed${text ? ` (${text})` : ''}.`;
  return errorText(status, data);
}
