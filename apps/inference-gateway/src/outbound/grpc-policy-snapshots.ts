/**
 * Every tenant's current policy from the policy service (`keel.policy.v1.Policy/ListPolicies`,
 * page by page): the initial fetch of the gateway's in-process evaluation.
 */
import { type ListPoliciesRequest, type ListPoliciesResponse, PolicyClient } from '@keel/contracts/policy/v1';
import { callUnary, createGrpcClient, type InternalClientIdentity } from '@keel/platform';
import { type PolicySnapshot, snapshotOfTenantPolicy } from '@keel/policy-engine';

export interface GrpcPolicySnapshots {
  fetch(): AsyncIterable<readonly PolicySnapshot[]>;
  close(): void;
}

export function createGrpcPolicySnapshots(options: {
  address: string;
  deadlineMs: number;
  identity: InternalClientIdentity;
  pageSize?: number;
}): GrpcPolicySnapshots {
  const client = createGrpcClient(PolicyClient, options.address, options.identity);
  return {
    async *fetch() {
      let pageToken = '';
      do {
        const page = await callUnary<ListPoliciesRequest, ListPoliciesResponse>(
          client.listPolicies.bind(client),
          { pageSize: options.pageSize ?? 500, pageToken },
          { deadlineMs: options.deadlineMs, dependency: 'policy' },
        );
        yield page.policies.map(snapshotOfTenantPolicy);
        pageToken = page.nextPageToken;
      } while (pageToken);
    },
    close() {
      client.close();
    },
  };
}
