/**
 * The plan as one pull-request comment: a marker (so CI updates the same comment), a summary
 * line, destructive changes at the top, a counts table, the cost of the change, a collapsible
 * section per stack with its resources, hook steps and their cost, warnings and policy
 * suppressions. Long lists are truncated with a count, and the whole comment is kept under
 * GitHub's 65,536-character limit.
 */
import { PlanCost, ScheduledCost, ServiceCost, StackCost, StepCost, IdleCost, fmtNumber, fmtSeconds } from './cost';
import { PlanReport, StackPlan } from './plan';

export const COMMENT_MARKER = '<!-- many-model-plan -->';
/** GitHub refuses comments over 65,536 characters; leave room for CI's own text. */
export const MAX_COMMENT_CHARS = 60000;

const ACTION_ICON = { create: '+', update: '~', replace: '-/+', delete: '-' } as const;

/** Escapes text for a Markdown table cell. */
function cell(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ').replace(/</g, '&lt;');
}

function code(text: string): string {
  return '`' + text.replace(/`/g, "'") + '`';
}

function limited<T>(items: readonly T[], limit: number, render: (t: T) => string, more: (n: number) => string): string[] {
  const lines = items.slice(0, limit).map(render);
  if (items.length > limit) lines.push(more(items.length - limit));
  return lines;
}

function summaryLine(r: PlanReport): string {
  const t = r.totals;
  const parts = [`${t.create} to add`, `${t.update} to change`, `${t.replace} to replace`, `${t.delete} to destroy`];
  const hooks = `${t.hooksToRun} hook step${t.hooksToRun === 1 ? '' : 's'} will run`;
  return `**many-model plan** · ${parts.join(', ')} · ${hooks}`;
}

function stackSection(s: StackPlan, cost: StackCost | undefined, limit: number): string[] {
  const c = s.counts;
  const out: string[] = [];
  const presence = s.presence === 'added' ? ' (new stack)' : s.presence === 'removed' ? ' (stack removed)' : '';
  out.push(
    `<details><summary>stack <b>${cell(s.stack)}</b>${presence}: +${c.create} ~${c.update} -/+${c.replace} -${c.delete}, ${s.hooksToRun} hook step${s.hooksToRun === 1 ? '' : 's'} to run</summary>`,
    '',
  );
  if (s.resources.length === 0) out.push(`No Terraform changes (${s.resourceSource}).`, '');
  else {
    out.push(`Terraform changes, from the ${s.resourceSource}:`, '', '| | resource | construct | what |', '|---|---|---|---|');
    out.push(
      ...limited(
        s.resources,
        limit,
        (r) => {
          const what =
            r.action === 'replace'
              ? `replaced because ${r.replacedBecause.join(', ') || 'the provider requires it'}`
              : r.attributes.length
                ? r.attributes.slice(0, 8).join(', ') + (r.attributes.length > 8 ? ` (+${r.attributes.length - 8})` : '')
                : '';
          return `| ${ACTION_ICON[r.action]}${r.destructive ? ' 🔴' : ''} | ${code(r.address)} | ${cell(r.constructPath ?? '')} | ${cell(what)} |`;
        },
        (n) => `| | … and ${n} more | | |`,
      ),
      '',
    );
  }
  if (s.moves.length) {
    out.push('Possibly renamed constructs (Terraform destroys and re-creates these unless the stack declares the move):', '');
    out.push(
      ...limited(
        s.moves,
        limit,
        (m) => `- ${code(m.from)} → ${code(m.to)}`,
        (n) => `- … and ${n} more`,
      ),
      '',
    );
  }
  if (s.hooks.length) {
    out.push('Hook steps on deploy:', '', '| step | kind | on deploy | why |', '|---|---|---|---|');
    const order = (h: { action: string }) => (h.action === 'run' ? 0 : h.action === 'removed' ? 1 : 2);
    const sorted = [...s.hooks].sort((a, b) => order(a) - order(b));
    out.push(
      ...limited(
        sorted,
        limit,
        (h) =>
          `| ${code(h.stepId)} | ${h.kind} | ${h.action === 'run' ? '**runs**' : h.action === 'removed' ? 'removed' : 'skipped'} | ${cell([h.reason, ...h.details].join('; '))} |`,
        (n) => `| … and ${n} more | | | |`,
      ),
      '',
    );
  }
  if (cost) out.push(...stackCostSection(cost, limit));
  if (s.suppressions.length) {
    out.push('Policy suppressions:', '', '| rule | construct | reason |', '|---|---|---|');
    out.push(
      ...limited(
        s.suppressions,
        limit,
        (x) => `| ${x.ruleId} | ${cell(x.path)} | ${cell(x.reason)} |`,
        (n) => `| … and ${n} more | | |`,
      ),
      '',
    );
  }
  out.push('</details>', '');
  return out;
}

export function renderMarkdown(r: PlanReport, opts: { limit?: number } = {}): string {
  for (let limit = opts.limit ?? 50; ; limit = Math.floor(limit / 2)) {
    const text = renderWith(r, limit);
    if (text.length <= MAX_COMMENT_CHARS || limit <= 1)
      return text.length <= MAX_COMMENT_CHARS ? text : text.slice(0, MAX_COMMENT_CHARS - 40) + '\n\n… (truncated)\n';
  }
}

function renderWith(r: PlanReport, limit: number): string {
  const out: string[] = [COMMENT_MARKER, summaryLine(r), ''];
  const blocking = r.destructive.filter((d) => !d.allowed);
  if (r.destructive.length) {
    out.push(
      `🔴 **${r.destructive.length} destructive change${r.destructive.length === 1 ? '' : 's'}**${blocking.length ? (r.refused ? ' — refused: name them in an allow list to proceed' : '') : ' (all allowed)'}`,
      '',
      '```diff',
    );
    out.push(
      ...limited(
        r.destructive,
        limit,
        (d) =>
          `${d.allowed ? '!' : '-'} ${d.stack}: ${d.address}${d.constructPath ? ` (${d.constructPath})` : ''}: ${d.reason}${d.allowed ? ' [allowed]' : ''}`,
        (n) => `- … and ${n} more`,
      ),
      '```',
      '',
    );
  }
  if (r.cost.refused) out.push(`🔴 **${costGateLine(r.cost)}**`, '');
  out.push('| stack | add | change | replace | destroy | hook steps to run | Terraform source |', '|---|---:|---:|---:|---:|---:|---|');
  for (const s of r.stacks.slice(0, limit)) {
    out.push(
      `| ${cell(s.stack)} | ${s.counts.create} | ${s.counts.update} | ${s.counts.replace} | ${s.counts.delete} | ${s.hooksToRun} | ${s.resourceSource} |`,
    );
  }
  if (r.stacks.length > limit) out.push(`| … and ${r.stacks.length - limit} more stacks | | | | | | |`);
  out.push('');
  out.push(...costSection(r.cost, limit));
  for (const s of r.stacks.slice(0, limit))
    out.push(
      ...stackSection(
        s,
        r.cost.stacks.find((c) => c.stack === s.stack),
        limit,
      ),
    );
  const warnings = r.stacks.flatMap((s) => s.warnings.map((w) => `${s.stack}: ${w}`));
  if (warnings.length) {
    out.push(
      '**Warnings**',
      '',
      ...limited(
        warnings,
        limit,
        (w) => `- ${cell(w)}`,
        (n) => `- … and ${n} more`,
      ),
      '',
    );
  }
  out.push(`<sub>base ${cell(r.base)} → head ${cell(r.head)}; hook steps assume every base step succeeded in the target account.</sub>`, '');
  return out.join('\n');
}

// ---------------------------------------------------------------------------------------------
// Cost

const credits = (n: number) => fmtNumber(n);
const signed = (n: number) => (n > 0 ? `+${fmtNumber(n)}` : n < 0 ? `−${fmtNumber(-n)}` : '±0');

/** The gate's verdict in one line: over or within `--max-credits`. */
export function costGateLine(c: PlanCost): string {
  const atLeast = c.unpriced.length ? 'at least ' : '';
  return c.refused
    ? `estimated ${atLeast}${credits(c.changeCredits)} credits in this change's first month, over --max-credits ${fmtNumber(c.maxCredits!)} — refused`
    : `estimated ${atLeast}${credits(c.changeCredits)} credits in this change's first month, within --max-credits ${fmtNumber(c.maxCredits!)}${c.unpriced.length ? ' (unpriced usage not counted)' : ''}`;
}

function costSection(c: PlanCost, limit: number): string[] {
  const basis =
    c.basis === 'ledger'
      ? 'durations from the ledger (last successful run of each step), defaults where a step has none'
      : 'no connection: durations are defaults, not this account’s history (`--ledger` reads it)';
  const out = [`**Cost** in Snowflake credits: ${basis}; rates from ${c.rates.file} (read ${c.rates.readOn}).`, ''];
  const price = c.creditPrice;
  const money = (n: number) =>
    price === undefined
      ? ''
      : ` ${n < 0 ? '−' : n > 0 ? '+' : ''}${Math.abs(n * price).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })} |`;
  out.push(
    `| | base | head | this change |${price === undefined ? '' : ` at ${fmtNumber(price)} per credit |`}`,
    `|---|---:|---:|---:|${price === undefined ? '' : '---:|'}`,
  );
  out.push(`| hook steps this deploy runs | | ${credits(c.deployCredits)} | ${signed(c.deployCredits)} |${money(c.deployCredits)}`);
  out.push(
    `| scheduled work and inference services, a month | ${credits(c.monthlyCredits.base)} | ${credits(c.monthlyCredits.head)} | ${signed(c.monthlyCredits.delta)} |${money(c.monthlyCredits.delta)}`,
  );
  out.push(`| **first month** (the deploy, plus a month's increase of scheduled work) | | | **${signed(c.changeCredits)}** |${money(c.changeCredits)}`);
  out.push('');
  const assumed = c.stacks.flatMap((s) =>
    s.partitions
      .filter((p) => p.source !== 'ledger')
      .map((p) => `${p.runGroup}: ${fmtNumber(p.partitions)} (${p.source === 'option' ? '--partitions' : 'default'})`),
  );
  if (assumed.length)
    out.push(
      `Partitions assumed (the synthesis cannot know them): ${limited(
        assumed,
        limit,
        (a) => a,
        (n) => `… and ${n} more`,
      ).join(', ')}.`,
      '',
    );
  const unreadable = c.stacks.filter((s) => s.ledger?.error).map((s) => `${s.stack}: ledger ${s.ledger!.table} not read (${s.ledger!.error}); defaults used`);
  if (unreadable.length) out.push(...unreadable.map((u) => `- ${cell(u)}`), '');
  if (c.unpriced.length) {
    out.push('Not priced (no rate for them), so the credits above are lower bounds:', '');
    out.push(
      ...limited(
        c.unpriced,
        limit,
        (u) => `- ${cell(u)}`,
        (n) => `- … and ${n} more`,
      ),
      '',
    );
  }
  if (c.maxCredits !== undefined && !c.refused) out.push(`✅ ${costGateLine(c)}.`, '');
  return out;
}

function usage(x: StepCost | IdleCost): string {
  const parts: string[] = [];
  if (x.computePool)
    parts.push(
      `${x.computePool.name} (${x.computePool.instanceFamily ?? 'family unknown'}, ${x.computePool.nodes} node${x.computePool.nodes === 1 ? '' : 's'})`,
    );
  if (x.warehouse) parts.push(`${x.warehouse.name}${x.warehouse.size ? ` (${x.warehouse.size})` : ''}`);
  return parts.join(' + ') || '—';
}

function creditsCell(n: number, unpriced: readonly string[]): string {
  return unpriced.length ? (n > 0 ? `${credits(n)} + unpriced` : 'unpriced') : credits(n);
}

function stackCostSection(c: StackCost, limit: number): string[] {
  const out: string[] = [];
  const lines = [...c.deploy.steps, ...c.deploy.idle];
  if (lines.length) {
    out.push(
      `Cost of the hook steps this deploy runs: ${creditsCell(c.deploy.credits, c.deploy.unpriced)} credits`,
      '',
      '| step | runs on | time | node-hours | credits | from |',
      '|---|---|---:|---:|---:|---|',
    );
    out.push(
      ...limited(
        lines,
        limit,
        (x) => {
          const name = 'stepId' in x ? code(x.stepId) : cell(x.what);
          const from = 'stepId' in x ? `${x.basis}: ${x.note}` : 'auto-suspend setting';
          return `| ${name} | ${cell(usage(x))} | ${fmtSeconds(x.seconds)} | ${x.computePool ? fmtNumber(x.computePool.nodeHours) : ''} | ${creditsCell(x.credits, x.unpriced)} | ${cell(from)} |`;
        },
        (n) => `| … and ${n} more | | | | | |`,
      ),
      '',
    );
  }
  const byAddress = new Map<string, { base?: ScheduledCost; head?: ScheduledCost }>();
  for (const t of c.monthly.base.tasks) byAddress.set(t.address, { base: t });
  for (const t of c.monthly.head.tasks) byAddress.set(t.address, { ...byAddress.get(t.address), head: t });
  if (byAddress.size) {
    out.push(
      `Scheduled work: ${credits(c.monthly.base.credits)} → ${creditsCell(c.monthly.head.credits, c.monthly.head.unpriced)} credits a month`,
      '',
      '| task | schedule | runs a month | warehouse | per run | credits a month (base → head) | from |',
      '|---|---|---:|---|---:|---:|---|',
    );
    out.push(
      ...limited(
        [...byAddress.values()],
        limit,
        ({ base, head }) => {
          const t = (head ?? base)!;
          const perRun = `${fmtSeconds(t.secondsPerRun)}${t.billedSecondsPerRun > t.secondsPerRun ? ` (billed ${fmtSeconds(t.billedSecondsPerRun)})` : ''}`;
          const month = `${base ? creditsCell(base.creditsPerMonth, base.unpriced) : '—'} → ${head ? creditsCell(head.creditsPerMonth, head.unpriced) : 'removed'}`;
          return `| ${code(t.task)} | ${cell(t.schedule)} | ${t.runsPerMonth === null ? '?' : fmtNumber(t.runsPerMonth)} | ${cell(t.warehouse ? `${t.warehouse.name}${t.warehouse.size ? ` (${t.warehouse.size})` : ''}` : 'serverless')} | ${perRun} | ${month} | ${cell(`${t.basis}: ${t.note}`)} |`;
        },
        (n) => `| … and ${n} more | | | | | | |`,
      ),
      '',
    );
  }
  out.push(...servicesSection(c, limit));
  return out;
}

/**
 * Inference services, base → head: each keeps its minimum instances (nodes of its pool) running
 * all month. A service the change adds is flagged with what it keeps running.
 */
function servicesSection(c: StackCost, limit: number): string[] {
  const byName = new Map<string, { base?: ServiceCost; head?: ServiceCost }>();
  for (const x of c.monthly.base.services) byName.set(x.name, { base: x });
  for (const x of c.monthly.head.services) byName.set(x.name, { ...byName.get(x.name), head: x });
  if (!byName.size) return [];
  const out: string[] = [];
  for (const { base, head } of byName.values()) {
    if (!head || (base && base.computePool.nodeHours >= head.computePool.nodeHours)) continue;
    const more = head.computePool.nodeHours - (base?.computePool.nodeHours ?? 0);
    if (more <= 0) continue;
    const price = head.unpriced.length
      ? 'unpriced: no rate for the pool (`--pool-rate FAMILY=CREDITS`)'
      : `${signed(head.creditsPerMonth - (base?.creditsPerMonth ?? 0))} credits a month`;
    out.push(
      `⚠️ ${base ? 'Inference service' : 'New inference service'} ${code(head.name)} keeps ${head.minInstances} node${head.minInstances === 1 ? '' : 's'} of compute pool ${head.computePool.name} running: +${fmtNumber(more)} node-hours a month, ${price}.`,
      '',
    );
  }
  out.push(
    'Inference services (kept running at their minimum instances):',
    '',
    '| service | ingress | pool | instances | node-hours a month | credits a month (base → head) | from |',
    '|---|---|---|---:|---:|---:|---|',
  );
  out.push(
    ...limited(
      [...byName.values()],
      limit,
      ({ base, head }) => {
        const x = (head ?? base)!;
        const month = `${base ? creditsCell(base.creditsPerMonth, base.unpriced) : '—'} → ${head ? creditsCell(head.creditsPerMonth, head.unpriced) : 'removed'}`;
        return `| ${code(x.name)} | ${x.ingress.toLowerCase()} | ${cell(`${x.computePool.name} (${x.computePool.instanceFamily ?? 'family unknown'})`)} | ${x.minInstances}–${x.maxInstances} | ${fmtNumber(x.computePool.nodeHours)} | ${month} | ${cell(x.note)} |`;
      },
      (n) => `| … and ${n} more | | | | | | |`,
    ),
    '',
  );
  return out;
}
