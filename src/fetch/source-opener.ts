/**
 * Opens a source by its scheme: HTTP(S) through the transport, file:// from disk. The HTTP client is
 * asked for at the first HTTP source, so that whoever owns it may load the transport only then.
 */
import type { HttpClient } from '../transport/index.js';
import { openFile } from './file-opener.js';
import { openHttp, type RequestPolicy } from './http-opener.js';
import type { Opener, OpenedSource, OpenRequest } from './transfer.js';

export class SourceOpener implements Opener {
  constructor(
    private readonly client: () => HttpClient | Promise<HttpClient>,
    private readonly redirects: RequestPolicy,
  ) {}

  async open(req: OpenRequest): Promise<OpenedSource> {
    return req.url.protocol === 'file:' ? openFile(req) : openHttp(await this.client(), this.redirects, req);
  }
}
