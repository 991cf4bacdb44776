// import_users: plans and runs a customer-file import from the operator's import folder through the bulk endpoint.
import { z } from 'zod';
import { planImport, type Plan } from '../../src/import/plan.js';
import { planReport, runImport } from '../../src/import/run.js';
import { resolveImportFile } from '../../src/import/source.js';
import { defineTool, type ToolApi, type ToolDefinition } from '../../src/mcp/tool.js';
import { describeCard } from '../responses.js';
import { loyaltyCardId } from '../schemas.js';

/** An import that would create more holders than this asks a human first, like a broadcast push. */
export const IMPORT_CONFIRM_THRESHOLD = 100;

const input = z.strictObject({
  loyalty_card_id: loyaltyCardId,
  file: z.string().min(1).max(1024).describe('Path inside the import folder'),
  dry_run: z.boolean().optional().describe('Plan only; send nothing'),
  skip_existing: z.boolean().optional().describe("Skip customers already on the card (email, else phone)"),
});
type Args = z.output<typeof input>;

/** The tool for one import folder; offered only when the operator set COUPONTOOLS_IMPORT_DIR. */
export function importUsers(dir: string): ToolDefinition {
  // The confirmation gate, its preview and the run read the same plan within one call: planned once per call.
  const plans = new WeakMap<Args, Promise<Plan>>();
  const planFor = (args: Args, api: ToolApi): Promise<Plan> => {
    let plan = plans.get(args);
    if (!plan) {
      const job = { cardId: args.loyalty_card_id, path: resolveImportFile(dir, args.file), skipExisting: args.skip_existing === true };
      plan = planImport(job, api);
      plans.set(args, plan);
    }
    return plan;
  };
  return defineTool({
    name: 'import_users',
    title: 'Import customers from a file',
    description:
      'Enrol customers from a CSV or JSON-lines file in the import folder. Plans first (invalid rows, duplicates, with skip_existing those already on the card), then creates holders in chunks. Same call again resumes safely. Returns counts, first problems and a per-row result file name.',
    input,
    output: z.looseObject({ status: z.string(), rows: z.looseObject({ total: z.number() }) }),
    access: 'write',
    async accessFor(args, api) {
      if (args.dry_run === true) return 'write';
      return (await planFor(args, api)).counts.to_create > IMPORT_CONFIRM_THRESHOLD ? 'destructive' : 'write';
    },
    idempotent: false,
    async describeEffect(args, api) {
      const { counts } = await planFor(args, api);
      return `Create ${counts.to_create} new card holders on ${await describeCard(api, args.loyalty_card_id)} from ${args.file} (${counts.invalid} invalid and ${counts.duplicate + counts.existing + counts.already_imported} duplicate or existing rows skipped).`;
    },
    verifyHint: 'run import_users again with the same arguments: it checks uncertain rows against the card before sending',
    async handler(args, api, context) {
      const plan = await planFor(args, api);
      if (args.dry_run === true) return { ...planReport(plan) };
      return { ...(await runImport(plan, api, context)) };
    },
  });
}
