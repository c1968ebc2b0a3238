import type * as Graphql from 'graphql';
import type { DocumentNode, GraphQLError, OperationDefinitionNode } from 'graphql';
import { lazyModule } from '../../core/lazy-module.ts';

/** graphql-js, loaded when a GraphQL operation is first read, not by every command that loads the registry. */
const graphql = lazyModule<typeof Graphql>('graphql');

/** A variable an operation declares (`$after: String`). */
export interface DeclaredVariable {
  /** The type as written: `String`, `Int!`, `OrderInput!`. */
  readonly type: string;
  /** Non-null without a default: the server refuses the operation unless it is given. */
  readonly required: boolean;
}

/** A GraphQL operation checked once, when the config is read: what ferry sends on every request. */
export interface GraphqlOperation {
  /** The document text, sent as written (servers and their logs see what the user wrote). */
  readonly text: string;
  /** Sent as `operationName` when the document holds several operations. */
  readonly operationName?: string;
  readonly kind: 'query' | 'mutation';
  readonly variables: ReadonlyMap<string, DeclaredVariable>;
  /**
   * The response key of each top-level field the operation selects (`createOrder`, or an alias), in
   * order: where a mutation's result is found by default.
   */
  readonly rootFields: readonly string[];
}

/** Where the text came from, for messages: `source.query` or a file path. */
export interface OperationOrigin {
  /** `source.query`, `destination.mutation`... or the file the text was read from. */
  readonly name: string;
  /** Whether `name` is a file (then positions read `file:line:column`). */
  readonly isFile?: boolean;
}

/** A problem with an operation's text, with the position in it when there is one. */
export interface OperationProblem {
  readonly message: string;
  readonly line?: number;
  readonly column?: number;
}

/**
 * Parses and checks an operation's text with graphql-js (never a hand-written parser): one operation of
 * the expected kind (or the one `operationName` names), no subscriptions. Returns the operation or the
 * problems found, each naming the line and column in the text.
 */
export function readOperation(
  text: string,
  expected: 'query' | 'mutation',
  origin: OperationOrigin,
  operationName?: string,
): GraphqlOperation | { readonly problems: readonly [OperationProblem, ...OperationProblem[]] } {
  const { parse, Source, Kind, print } = graphql();
  let document: DocumentNode;
  try {
    document = parse(new Source(text, origin.name));
  } catch (error) {
    if (!(error instanceof graphql().GraphQLError)) throw error;
    return { problems: [syntaxProblem(error)] };
  }
  const operations = document.definitions.filter(
    (definition): definition is OperationDefinitionNode => definition.kind === Kind.OPERATION_DEFINITION,
  );
  if (operations.length === 0) {
    return { problems: [{ message: `expected a GraphQL ${expected}, found no operation (only fragments)` }] };
  }
  let operation: OperationDefinitionNode | undefined;
  if (operationName !== undefined) {
    operation = operations.find((candidate) => candidate.name?.value === operationName);
    if (!operation) {
      const names = operations.map((candidate) => candidate.name?.value ?? '(anonymous)').join(', ');
      return {
        problems: [{ message: `operation_name "${operationName}" is not in the document (it has ${names})` }],
      };
    }
  } else if (operations.length > 1) {
    const names = operations.map((candidate) => candidate.name?.value ?? '(anonymous)').join(', ');
    return {
      problems: [
        {
          message: `the document holds ${operations.length} operations (${names}): set operation_name to pick one`,
        },
      ],
    };
  } else {
    operation = operations[0]!;
  }
  if (operation.operation !== expected) {
    const at = operation.loc?.startToken;
    return {
      problems: [
        {
          message: `expected a ${expected}, found a ${operation.operation}${
            expected === 'query' ? ': a source only reads' : ': a destination writes through a mutation'
          }`,
          ...(at ? { line: at.line, column: at.column } : {}),
        },
      ],
    };
  }
  const variables = new Map<string, DeclaredVariable>();
  for (const definition of operation.variableDefinitions ?? []) {
    variables.set(definition.variable.name.value, {
      type: print(definition.type),
      required: definition.type.kind === Kind.NON_NULL_TYPE && definition.defaultValue === undefined,
    });
  }
  const rootFields = operation.selectionSet.selections.flatMap((selection) =>
    selection.kind === Kind.FIELD ? [selection.alias?.value ?? selection.name.value] : [],
  );
  return {
    text,
    ...(operationName === undefined ? {} : { operationName }),
    kind: expected,
    variables,
    rootFields,
  };
}

function syntaxProblem(error: GraphQLError): OperationProblem {
  const at = error.locations?.[0];
  const where =
    at && error.source
      ? `\n${graphql()
          .printSourceLocation(error.source, at)
          .replace(/^[^\n]*\n/, '')}`
      : '';
  // graphql-js says "Syntax Error: Expected Name, found ...": keep its words, drop its prefix.
  const message = `GraphQL syntax error: ${error.message.replace(/^Syntax Error: /, '')}${where}`;
  return at ? { message, line: at.line, column: at.column } : { message };
}

/** One line per problem: `line 3, column 14: ...`, or `file.graphql:3:14: ...` for a file. */
export function describeProblem(problem: OperationProblem, origin: OperationOrigin): string {
  if (problem.line === undefined)
    return origin.isFile ? `${origin.name}: ${problem.message}` : problem.message;
  const column = problem.column ?? 1;
  return origin.isFile
    ? `${origin.name}:${problem.line}:${column}: ${problem.message}`
    : `line ${problem.line}, column ${column} of the text: ${problem.message}`;
}
