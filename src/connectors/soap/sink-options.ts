import { z } from 'zod';
import { optionalText, secret } from '../../config/field-types.ts';
import { sinkHttpShape } from '../../config/http-options.ts';
import { refusesDuplicatesSchema } from '../../config/refuses-duplicates-schema.ts';
import { FerryError } from '../../core/errors.ts';
import { faultRuleSchema } from './fault-rules.ts';

/** Where an element path goes: `Order` or `Order/Customer`; slashes, as element paths are written. */
const elementPath = z
  .string()
  .regex(/^([^/\s]+(\/[^/\s]+)*)?$/, { message: 'expected element names separated by /, e.g. Order' });

/** The options every SOAP connector (destination and source) shares besides HTTP. */
export function soapShape() {
  return {
    wsdl: optionalText().describe(
      "The service's WSDL: an http(s) URL or a file, relative to the integration file; empty or left out means the endpoint with `?wsdl`. Envelope, SOAPAction, namespaces and element order all come from it and its schemas.",
    ),
    endpoint: optionalText().describe(
      "The URL requests are sent to; overrides the WSDL's soap:address (a WSDL often names a host the service is not reached by).",
    ),
    service: optionalText().describe('The wsdl:service to use; needed only when the WSDL has several.'),
    port: optionalText().describe(
      'The wsdl:port to use (it decides SOAP 1.1 or 1.2); needed only when the service has several.',
    ),
    fault_rules: z
      .array(faultRuleSchema)
      .default([])
      .describe(
        'What each fault code means, tried in order before the defaults (Client/Sender: reject; Server/Receiver: retry after a lookup; VersionMismatch/MustUnderstand: fail_run).',
      ),
    fault_detail: z
      .strictObject({
        code: z
          .string()
          .min(1)
          .default('Code')
          .describe(
            "The service's code in the fault detail: an element path (`OrderFault/Code`) or a name found at any depth.",
          ),
        field_errors: z
          .string()
          .min(1)
          .default('FieldError')
          .describe('Each field error in the detail, the same way.'),
        field: z.string().min(1).default('Field').describe("The field's name inside a field error."),
        message: z.string().min(1).default('Message').describe('The message inside a field error.'),
      })
      .prefault({})
      .describe("Where the service's own code and field errors are in a fault's detail."),
    security: z
      .strictObject({
        username_token: z
          .strictObject({
            username: z.string().min(1).describe('The UsernameToken username.'),
            password: secret().describe('The password, by reference; never logged, never sent elsewhere.'),
            password_type: z
              .enum(['text', 'digest'])
              .default('text')
              .describe(
                'text sends the password (use it over https); digest sends Base64(SHA-1(nonce + created + password)) with a fresh nonce and time on every attempt.',
              ),
            must_understand: z
              .boolean()
              .default(true)
              .describe('Marks the Security header soap:mustUnderstand, as WS-Security asks.'),
          })
          .optional()
          .describe('A WS-Security 1.0 UsernameToken in the SOAP header of every request.'),
      })
      .prefault({})
      .describe('SOAP message security, on top of the HTTP auth and TLS options.'),
  };
}

/** The `lookup` block of a SOAP destination. */
const lookupSchema = z
  .strictObject({
    operation: z
      .string()
      .min(1)
      .describe('The operation that reads a record back by its identity (GetOrder).'),
    request: z
      .record(z.string(), z.unknown())
      .describe(
        "The lookup operation's input as a plain object, like a mapped value; a string `{key}` is the record key, `{Order.OrderNumber}` a field of the mapped value.",
      ),
    result_path: elementPath
      .default('')
      .describe(
        "Where the stored record is in the lookup's output (`Order`); empty or absent there means not found.",
      ),
    compare_path: elementPath
      .optional()
      .describe('Where the same record is in the mapped value; defaults to result_path.'),
    before_send: z
      .enum(['new_ledger', 'always', 'never'])
      .default('new_ledger')
      .describe(
        'When records the ledger does not know are looked up before their first write: on a new ledger until one complete run (default; not needed where the destination `refuses_duplicates`), always, or never.',
      ),
  })
  .describe(
    'How ferry asks the destination whether a record arrived (after a crash, a dropped connection, a duplicate fault): found and equal is delivered, found and different fails, not found is sent.',
  );

/** The options of `type: soap` as a destination. */
export const soapSinkOptions = z.strictObject({
  ...soapShape(),
  operation: z.string().min(1).describe('The operation called once per record (CreateOrder).'),
  lookup: lookupSchema.optional(),
  refuses_duplicates: refusesDuplicatesSchema('a fault that `fault_rules` answers with `reconcile`'),
  ...sinkHttpShape(),
});

/** Parsed options of a SOAP destination. */
export type SoapSinkConfig = z.output<typeof soapSinkOptions>;

/** The WSDL's location: the option, else the endpoint with `?wsdl`; one of them must be set. */
export function wsdlOption(
  options: { wsdl?: string | undefined; endpoint?: string | undefined },
  side: string,
): string {
  if (options.wsdl !== undefined) return options.wsdl;
  if (options.endpoint !== undefined) return `${options.endpoint}?wsdl`;
  throw new FerryError(
    'FERRY_ERR_CONFIG_INVALID',
    `${side}: set wsdl (a URL or a file) or endpoint (whose ?wsdl is read)`,
    {
      details: { option: `${side}.wsdl` },
    },
  );
}

/** `Order/Customer` as the steps `['Order', 'Customer']`. */
export function pathSteps(path: string | undefined): string[] {
  return (path ?? '').split('/').filter((step) => step !== '');
}
