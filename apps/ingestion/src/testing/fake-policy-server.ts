/**
 * A stand-in for the policy service in tests: a real gRPC server (health included) answering
 * `Scan` with whatever the test decides, so ingestion is tested through its real gRPC client.
 */
import { Decision, PolicyService, type ScanRequest, type ScanResponse } from '@keel/contracts/policy/v1';
import { createLogger, internalError, startGrpcServer, unaryHandler } from '@keel/platform';
import { testInternalAuth } from '@keel/platform/testing';

export interface FakePolicyServer {
  address: string;
  scans: ScanRequest[];
  close(): Promise<void>;
}

export const allowResponse = (request: ScanRequest): ScanResponse => ({
  decision: Decision.DECISION_ALLOW,
  text: request.text,
  findings: [],
  reason: '',
  policyVersion: 'fake-policy-1',
});

export async function startFakePolicyServer(
  decide: (request: ScanRequest) => ScanResponse = allowResponse,
): Promise<FakePolicyServer> {
  const logger = createLogger('fake-policy', { level: 'silent' });
  const scans: ScanRequest[] = [];
  const server = await startGrpcServer({
    port: 0,
    host: '127.0.0.1',
    logger,
    auth: testInternalAuth,
    services: [
      {
        definition: PolicyService,
        implementation: {
          scan: unaryHandler<ScanRequest, ScanResponse>(logger, async (request) => {
            scans.push(request);
            return decide(request);
          }),
          check: unaryHandler(logger, async () => {
            throw internalError('the fake policy server only scans');
          }),
        },
      },
    ],
  });
  return { address: server.address, scans, close: () => server.close() };
}
