import type { ConnectionOptions } from 'node:tls';

/** What a TLS handshake of its own found: the server's refusal, or nothing to add. */
export interface TlsDiagnosis {
  /** OpenSSL's code (`ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED`). */
  readonly code: string;
  /** What it means for the user, naming the options that fix it. */
  readonly explanation: string;
}

/**
 * Why a server closed a TLS connection before answering, when its reason was a TLS alert about the client
 * certificate. In TLS 1.3 the server judges the client's certificate after the client considers the
 * handshake done, so its alert (certificate required, unknown CA, bad certificate) arrives as the first
 * thing read; undici sees only "other side closed" there. One handshake of our own, reading, hears the
 * alert, or sees the server close at once. Resolves undefined when the handshake shows nothing of the kind
 * within `timeoutMs`.
 */
export function diagnoseTls(
  url: URL,
  options: Pick<ConnectionOptions, 'ca' | 'cert' | 'key' | 'passphrase'>,
  timeoutMs = 1500,
): Promise<TlsDiagnosis | undefined> {
  return new Promise((resolve) => {
    let settled = false;
    // node:tls loaded on first use: importing it cost every command its load, https or not.
    const socket = process.getBuiltinModule('node:tls').connect({
      host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: Number(url.port || 443),
      servername: /^[\d.]+$|^\[/.test(url.hostname) ? '' : url.hostname,
      ...options,
      rejectUnauthorized: true,
    });
    const done = (diagnosis: TlsDiagnosis | undefined) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(diagnosis);
    };
    const timer = setTimeout(() => done(undefined), timeoutMs);
    timer.unref();
    let handshaken = false;
    socket.on('secureConnect', () => {
      handshaken = true;
    });
    socket.on('error', (error: NodeJS.ErrnoException) => done(explain(error.code ?? '', !!options.cert)));
    // A server that verifies the client's certificate after the handshake (Node's own https servers do)
    // just closes without an alert: an HTTP server waiting for a request never closes this soon.
    socket.on('close', () =>
      done(handshaken ? explain('ERR_TLS_CLOSED_AFTER_HANDSHAKE', !!options.cert) : undefined),
    );
    // Flowing, so an alert after the handshake is read.
    socket.on('data', () => done(undefined));
  });
}

function explain(code: string, sentCertificate: boolean): TlsDiagnosis | undefined {
  if (/CERTIFICATE_REQUIRED|PEER_DID_NOT_RETURN_A_CERTIFICATE/.test(code) && !sentCertificate)
    return {
      code,
      explanation:
        'the server requires a client certificate (mutual TLS) and none was presented: set tls.cert_file and tls.key_file',
    };
  if (code === 'ERR_TLS_CLOSED_AFTER_HANDSHAKE')
    return {
      code,
      explanation: sentCertificate
        ? 'the server closed the connection right after the handshake: it did not accept the client certificate presented (tls.cert_file): not signed by a CA it trusts, expired, or not meant for client authentication'
        : 'the server closed the connection right after the handshake: it requires a client certificate (mutual TLS) and none was presented: set tls.cert_file and tls.key_file',
    };
  if (
    /ALERT_(UNKNOWN_CA|BAD_CERTIFICATE|CERTIFICATE_UNKNOWN|UNSUPPORTED_CERTIFICATE|CERTIFICATE_EXPIRED|CERTIFICATE_REVOKED|DECRYPT_ERROR|ACCESS_DENIED|HANDSHAKE_FAILURE|CERTIFICATE_REQUIRED)/.test(
      code,
    )
  )
    return {
      code,
      explanation: sentCertificate
        ? 'the server refused the client certificate presented (tls.cert_file): not signed by a CA it trusts, expired, or not meant for client authentication'
        : 'the server refused the TLS handshake; it may require a client certificate (tls.cert_file and tls.key_file)',
    };
  return undefined;
}
