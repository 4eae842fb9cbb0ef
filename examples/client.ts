/**
 * A small typed client, as the single-page app would write it: the documents
 * come from examples/operations, their types from `npm run codegen`.
 *
 *   DATALINX_URL=http://127.0.0.1:4000/graphql DATALINX_TOKEN=… npx tsx examples/client.ts <workspace-id>
 */
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import { graphql } from './gql/gql.js';

const JobList = graphql(`
  query ExampleFailedJobs($workspaceId: ID) {
    pipelineJobs(workspaceId: $workspaceId, status: FAILED, first: 10) {
      totalCount
      edges {
        node {
          id
          errorMessage
        }
      }
    }
  }
`);

export async function request<R, V>(url: string, token: string, document: TypedDocumentNode<R, V>, variables: V): Promise<R> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: print(document), variables }),
  });
  const body = (await res.json()) as { data?: R; errors?: { message: string }[] };
  if (!body.data) throw new Error(body.errors?.map((e) => e.message).join('; ') ?? `HTTP ${res.status}`);
  return body.data;
}

export async function failedJobs(url: string, token: string, workspaceId: string) {
  const data = await request(url, token, JobList, { workspaceId });
  // Typed: data.pipelineJobs.edges[0]?.node.errorMessage is string | null.
  return data.pipelineJobs.edges.map((e) => ({ id: e.node.id, error: e.node.errorMessage ?? 'unknown' }));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const url = process.env.DATALINX_URL ?? 'http://127.0.0.1:4000/graphql';
  const token = process.env.DATALINX_TOKEN ?? '';
  console.log(await failedJobs(url, token, process.argv[2] ?? ''));
}
