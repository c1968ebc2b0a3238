import { describe, expect, it } from 'vitest';
import { screenXml } from './xml-guard.ts';

const limits = { maxDepth: 4 };

describe('screenXml', () => {
  it('passes a document within the depth limit', () => {
    expect(screenXml('<?xml version="1.0"?><a><b><c><d/></c></b></a>', limits)).toBeNull();
  });

  it('refuses any DOCTYPE or entity declaration, whatever its case', () => {
    expect(screenXml('<!doctype a><a/>', limits)).toMatch(/DOCTYPE/);
    expect(screenXml('<a><!ENTITY x "y"></a>', limits)).toMatch(/DOCTYPE or entity/);
  });

  it('refuses nesting one level deeper than the limit', () => {
    expect(screenXml('<a><b><c><d><e/></d></c></b></a>', limits)).toBeNull();
    expect(screenXml('<a><b><c><d><e></e></d></c></b></a>', limits)).toMatch(/deeper than 4/);
  });

  it('does not count markup-like text in comments, CDATA, processing instructions or attribute values', () => {
    const xml = '<a x="<b><b><b>"><!-- <b><b><b><b> --><![CDATA[<b><b><b><b>]]><?pi <b><b>?><b/></a>';
    expect(screenXml(xml, limits)).toBeNull();
  });

  it('leaves unterminated markup to the parser, which reports it with a position', () => {
    expect(screenXml('<a><b', limits)).toBeNull();
    expect(screenXml('<a><!-- never closed', limits)).toBeNull();
  });
});
