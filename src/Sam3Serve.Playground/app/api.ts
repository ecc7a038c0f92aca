// The service's HTTP API as the page uses it: /v2 submit and polling, media, credits. Every failure becomes
// an ApiError carrying the status code and the server's own "error" message.

/** One mask of the output object. */
export interface MaskEntry {
  index: number;
  score: number;
  box: [number, number, number, number];
  area: number;
  prompt_index?: number;
  /** The tile whose pass found the object ([row, col]), null for the whole-image pass. */
  tile?: [number, number] | null;
  mask?: string | RleMask | number[][];
}

/** COCO compressed RLE as the server writes it. */
export interface RleMask {
  size: [number, number];
  counts: string;
}

/** The output object. */
export interface OutputObject {
  width: number;
  height: number;
  mode: string;
  preview: string | null;
  overlay: string | null;
  masks: MaskEntry[];
  count: number;
}

/** A /v2 body: status, or the final result with its output. */
export interface RequestBody {
  status: 'QUEUED' | 'PROCESSING' | 'COMPLETED' | 'FAILED';
  request_id: string;
  error?: string | null;
  /** The engine's current stage while PROCESSING, when the server reports it. */
  stage?: string;
  metrics?: Record<string, number>;
  output?: OutputObject;
}

/** A non-2xx answer (or no answer at all, status 0) with the server's message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly fields: Record<string, string[]> = {},
  ) {
    super(message);
  }

  /** The text the page shows: status, reason and the per-field details. */
  describe(): string {
    const head = this.status === 0 ? this.message : `${this.status} ${reasonPhrase(this.status)}: ${this.message}`;
    // Per-field lines, less those the message already says.
    const details = Object.entries(this.fields)
      .map(([field, problems]) => `${field}: ${problems.join('; ')}`)
      .filter((line) => !this.message.includes(line))
      .map((line) => `  ${line}`);
    return [head, ...details].join('\n');
  }
}

const phrases: Record<number, string> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 406: 'Not Acceptable',
  409: 'Conflict', 413: 'Payload Too Large', 422: 'Unprocessable', 429: 'Too Many Requests',
  500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout',
};

function reasonPhrase(status: number): string {
  return phrases[status] ?? 'Error';
}

/** Where the image comes from: a local file (sent as multipart) or a URL the server fetches (sent as JSON). */
export type ImageSource = { kind: 'file'; file: Blob; name: string } | { kind: 'url'; url: string };

/** Request parameters in the order they are sent and shown in the snippets. */
export type Params = Record<string, string | number | boolean | string[]>;

export interface Answer<T> {
  status: number;
  body: T;
  credits: string | null;
}

export const modelSlug = 'sam3-image';

export class Api {
  constructor(private readonly key: string) {}

  /** POST /v2/sam3-image: queues the request. */
  submit(image: ImageSource, params: Params): Promise<Answer<RequestBody>> {
    let body: BodyInit;
    const headers: Record<string, string> = {};
    if (image.kind === 'file') {
      const form = new FormData();
      form.append('image', image.file, image.name);
      for (const [name, value] of Object.entries(params)) {
        form.append(name, Array.isArray(value) ? JSON.stringify(value) : String(value));
      }
      body = form;
    } else {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify({ image: image.url, ...params });
    }
    return this.call<RequestBody>(`/v2/${modelSlug}`, { method: 'POST', body, headers });
  }

  /** GET /v2/requests/{id}/status; a FAILED request (422) comes back as an answer, not an error. */
  status(id: string): Promise<Answer<RequestBody>> {
    return this.call<RequestBody>(`/v2/requests/${encodeURIComponent(id)}/status`, {}, [422]);
  }

  /** GET /v2/requests/{id}: the final body. */
  result(id: string): Promise<Answer<RequestBody>> {
    return this.call<RequestBody>(`/v2/requests/${encodeURIComponent(id)}`, {}, [422]);
  }

  /** GET /v1/get-user-credits. */
  credits(): Promise<Answer<{ credits: number | null }>> {
    return this.call(`/v1/get-user-credits`, {});
  }

  /**
   * A result image. Media URLs are absolute (maybe under a public base URL that differs from this page's
   * origin), so a media path on this server is fetched from this page's origin with the key.
   */
  async media(url: string): Promise<Blob> {
    if (url.startsWith('data:')) {
      return (await fetch(url)).blob();
    }
    const parsed = new URL(url, location.href);
    const path = parsed.pathname.startsWith('/v2/requests/') ? parsed.pathname : url;
    const response = await this.send(path, {});
    if (!response.ok) {
      throw await errorOf(response);
    }
    return response.blob();
  }

  private async call<T>(path: string, init: RequestInit, alsoOk: number[] = []): Promise<Answer<T>> {
    const response = await this.send(path, init);
    if (!response.ok && !alsoOk.includes(response.status)) {
      throw await errorOf(response);
    }
    let body: T;
    try {
      body = (await response.json()) as T;
    } catch {
      throw new ApiError(response.status, `the server answered ${path} with a body that is not JSON`);
    }
    return { status: response.status, body, credits: response.headers.get('x-remaining-credits') };
  }

  private async send(path: string, init: RequestInit): Promise<Response> {
    const headers = new Headers(init.headers);
    headers.set('x-api-key', this.key);
    try {
      return await fetch(path, { ...init, headers, cache: 'no-store' });
    } catch (e) {
      throw new ApiError(0, `could not reach the server (${e instanceof Error ? e.message : String(e)})`);
    }
  }
}

/** The contract's error body ({"error", "errors"}) of a failed response, or its status line when there is none. */
export async function errorOf(response: Response): Promise<ApiError> {
  const text = await response.text().catch(() => '');
  try {
    const body = JSON.parse(text) as { error?: unknown; errors?: Record<string, string[]> };
    if (typeof body.error === 'string') {
      return new ApiError(response.status, body.error, body.errors ?? {});
    }
  } catch {
    // Not JSON: fall through to the raw text.
  }
  const snippet = text.trim().slice(0, 300);
  return new ApiError(response.status, snippet || response.statusText || 'no message');
}
