import type { ComplexType, ElementDecl, SchemaSet } from '../../xml/schema/xsd-model.ts';

/** The SOAP versions ferry speaks. */
export type SoapVersion = '1.1' | '1.2';

/** WSDL 1.1 and its SOAP binding namespaces. */
export const WSDL_NS = 'http://schemas.xmlsoap.org/wsdl/';
export const WSDL_SOAP11_NS = 'http://schemas.xmlsoap.org/wsdl/soap/';
export const WSDL_SOAP12_NS = 'http://schemas.xmlsoap.org/wsdl/soap12/';

/** The envelope namespace of each SOAP version. */
export const ENVELOPE_NS: Readonly<Record<SoapVersion, string>> = {
  '1.1': 'http://schemas.xmlsoap.org/soap/envelope/',
  '1.2': 'http://www.w3.org/2003/05/soap-envelope',
};

/**
 * What a message's SOAP Body holds, and so what the mapped value is:
 * - `element`: one element (document/literal wrapped, bare with one part, and rpc/literal's wrapper); the
 *   mapped value is that element's content (`{Order: {...}}` for `CreateOrder`);
 * - `parts`: several part elements side by side (document/literal bare with several parts); the mapped
 *   value holds each by its element name.
 */
export type BodyShape =
  | { readonly kind: 'element'; readonly element: ElementDecl }
  | { readonly kind: 'parts'; readonly type: ComplexType };

/** One operation of one port, with everything needed to call it. */
export interface SoapOperation {
  readonly service: string;
  readonly port: string;
  readonly name: string;
  /** The port's soap:address, when the WSDL gives one. */
  readonly address?: string;
  readonly version: SoapVersion;
  readonly style: 'document' | 'rpc';
  /** The soapAction URI; '' when the binding gives none. */
  readonly soapAction: string;
  readonly input: BodyShape;
  readonly output: BodyShape;
}

/** A WSDL read with its schemas: the ports and operations it offers. */
export interface WsdlModel {
  /** Where it was read from (a URL or a file), for messages. */
  readonly location: string;
  readonly schemas: SchemaSet;
  /** Services by name, each with its SOAP ports by name. */
  readonly services: ReadonlyMap<string, ReadonlyMap<string, PortModel>>;
}

/** A SOAP port: its address, SOAP version and operations. */
export interface PortModel {
  readonly address?: string;
  readonly version: SoapVersion;
  readonly operations: ReadonlyMap<string, () => SoapOperation>;
}
