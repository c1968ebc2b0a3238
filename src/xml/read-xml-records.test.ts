import { describe, expect, it } from 'vitest';
import { XmlReadError } from './parse-xml.ts';
import { readXmlRecords, type XmlRecordsEvent, type XmlRecordsOptions } from './read-xml-records.ts';

const NS = 'http://customers.example.com/v1';

/** The text cut into pieces of `size` bytes, as a network would deliver it. */
async function* chunked(text: string | Buffer, size = 7): AsyncGenerator<Uint8Array> {
  const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

async function read(text: string | Buffer, options: Partial<XmlRecordsOptions> = {}) {
  const events: XmlRecordsEvent[] = [];
  for await (const event of readXmlRecords(chunked(text), {
    recordPath: ['Customers', 'Customer'],
    batchSize: 2,
    ...options,
  }))
    events.push(event);
  return events;
}

async function refusal(text: string | Buffer, options: Partial<XmlRecordsOptions> = {}) {
  try {
    await read(text, options);
  } catch (error) {
    if (error instanceof XmlReadError) return { message: error.message, hostile: error.hostile };
    throw error;
  }
  throw new Error('expected the document to be refused');
}

const DOCUMENT = `<?xml version="1.0" encoding="UTF-8"?>
<c:Customers xmlns:c="${NS}" total="3">
  <c:Customer id="1"><c:Name>Ada &amp; Co</c:Name><c:Phone>1</c:Phone><c:Phone>2</c:Phone></c:Customer>
  <c:Customer id="2"><c:Name>Bo</c:Name><c:Phone>3</c:Phone><c:Note xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:nil="true"/></c:Customer>
  <c:Customer id="3"><c:Name><![CDATA[<Cy>]]></c:Name><c:Price currency="EUR">1.50</c:Price></c:Customer>
  <c:NextPage>https://api.example.com/customers?page=2</c:NextPage>
</c:Customers>`;

describe('readXmlRecords', () => {
  it('hands records on in batches by the convention, then the document around them', async () => {
    const events = await read(DOCUMENT, { namespace: NS });
    expect(events).toEqual([
      {
        kind: 'records',
        records: [
          { '@id': '1', Name: 'Ada & Co', Phone: ['1', '2'] },
          { '@id': '2', Name: 'Bo', Phone: '3', Note: null },
        ],
      },
      {
        kind: 'records',
        records: [{ '@id': '3', Name: '<Cy>', Price: { '@currency': 'EUR', '#text': '1.50' } }],
      },
      {
        kind: 'end',
        body: { Customers: { '@total': '3', NextPage: 'https://api.example.com/customers?page=2' } },
      },
    ]);
  });

  it('reads the elements it is told to as arrays even when they occur once', async () => {
    const events = await read(DOCUMENT, { arrays: ['Phone'], batchSize: 10 });
    const records = events[0]?.kind === 'records' ? events[0].records : [];
    expect(records.map((r) => (r as { Phone?: unknown }).Phone)).toEqual([['1', '2'], ['3'], undefined]);
  });

  it('ends with no records when the document has none', async () => {
    expect(await read('<Customers total="0"/>')).toEqual([
      { kind: 'end', body: { Customers: { '@total': '0' } } },
    ]);
  });

  it('decodes the encoding the declaration or the Content-Type names', async () => {
    const latin = Buffer.from(
      '<?xml version="1.0" encoding="ISO-8859-1"?><Customers><Customer><N>Zoë</N></Customer></Customers>',
      'latin1',
    );
    expect((await read(latin))[0]).toEqual({ kind: 'records', records: [{ N: 'Zoë' }] });
    expect(await refusal('<Customers/>', { charset: 'klingon' })).toMatchObject({
      message: 'the document is in an encoding ferry cannot read (klingon)',
    });
  });
});

describe('readXmlRecords refuses hostile and unexpected documents', () => {
  it('refuses a DOCTYPE with an external entity (XXE) before reading it', async () => {
    const xxe =
      '<?xml version="1.0"?><!DOCTYPE Customers [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><Customers><Customer><N>&xxe;</N></Customer></Customers>';
    expect(await refusal(xxe)).toEqual({
      message: 'a DOCTYPE is not accepted (no DTDs and no entity declarations)',
      hostile: true,
    });
  });

  it('refuses entity expansion (billion laughs) and undeclared entities', async () => {
    const laughs =
      '<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]><Customers><Customer>&lol2;</Customer></Customers>';
    expect(await refusal(laughs)).toMatchObject({ hostile: true });
    expect(await refusal('<Customers><Customer><N>&nbsp;</N></Customer></Customers>')).toMatchObject({
      message: expect.stringMatching(
        /^not well-formed XML at line 1, column \d+: an entity reference other than/,
      ),
    });
  });

  it('refuses nesting past the depth limit, too many attributes, and a record larger than what may be held', async () => {
    const deep = `<Customers><Customer>${'<a>'.repeat(100)}${'</a>'.repeat(100)}</Customer></Customers>`;
    expect(await refusal(deep)).toEqual({ message: 'elements nest deeper than 64 levels', hostile: true });
    const attributes = Array.from({ length: 300 }, (_, i) => `a${i}="x"`).join(' ');
    expect(await refusal(`<Customers><Customer ${attributes}/></Customers>`)).toMatchObject({
      message: 'an element has more than 256 attributes',
    });
    const huge = `<Customers><Customer><N>${'x'.repeat(5000)}</N></Customer></Customers>`;
    expect(await refusal(huge, { limits: { maxChars: 4096 } })).toEqual({
      message: 'the document is larger than 4096 characters',
      hostile: true,
    });
    const many = `<Customers><Customer>${'<e/>'.repeat(50)}</Customer></Customers>`;
    expect(await refusal(many, { limits: { maxElements: 20 } })).toMatchObject({
      message: 'more than 20 elements',
    });
  });

  it('keeps within the limits however many records stream by: what it held is dropped as each closes', async () => {
    const records = '<Customer><N>x</N></Customer>'.repeat(5000);
    const events = await read(`<Customers>${records}</Customers>`, {
      limits: { maxElements: 10, maxChars: 100 },
      batchSize: 1000,
    });
    expect(events.filter((e) => e.kind === 'records').flatMap((e) => e.records)).toHaveLength(5000);
  });

  it('names a truncated document, an HTML page, another root and another namespace', async () => {
    expect(await refusal(DOCUMENT.slice(0, 300))).toMatchObject({
      message: expect.stringMatching(/^not well-formed XML at line \d+, column \d+: unclosed tag/),
    });
    expect(await refusal('<!DOCTYPE html><html><body>502 Bad Gateway</body></html>')).toMatchObject({
      message: 'a DOCTYPE is not accepted (no DTDs and no entity declarations)',
    });
    expect(await refusal('<html><body>Sign in</body></html>')).toEqual({
      message: 'expected the root element Customers (records at /Customers/Customer), got html',
      hostile: false,
    });
    expect(await refusal(DOCUMENT, { namespace: 'http://customers.example.com/v2' })).toEqual({
      message: `expected {http://customers.example.com/v2}Customers, got {${NS}}Customers`,
      hostile: false,
    });
    expect(await refusal('<Customers><Customer/></Customers>', { namespace: NS })).toEqual({
      message: `expected {${NS}}Customers, got Customers in no namespace`,
      hostile: false,
    });
  });

  it('refuses bytes that are not the encoding the document is in', async () => {
    const bad = Buffer.concat([
      Buffer.from('<Customers><Customer><N>'),
      Buffer.from([0xff, 0xfe]),
      Buffer.from('</N></Customer></Customers>'),
    ]);
    expect(await refusal(bad)).toEqual({ message: 'the bytes are not valid utf-8', hostile: false });
  });
});
