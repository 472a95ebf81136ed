/** Opens a source by its scheme: HTTP(S) through the transport, file:// from disk. */
import type { HttpClient } from '../transport/index.js';
import { openFile } from './file-opener.js';
import { openHttp, type RequestPolicy } from './http-opener.js';
import type { Opener, OpenedSource, OpenRequest } from './transfer.js';

export class SourceOpener implements Opener {
  constructor(
    private readonly client: HttpClient,
    private readonly redirects: RequestPolicy,
  ) {}

  open(req: OpenRequest): Promise<OpenedSource> {
    return req.url.protocol === 'file:' ? openFile(req) : openHttp(this.client, this.redirects, req);
  }
}
