/**
 * The plan as one pull-request comment: a marker (so CI updates the same comment), a summary
 * line, destructive changes at the top, a counts table, a collapsible section per stack with its
 * resources and hook steps, warnings and policy suppressions. Long lists are truncated with a
 * count, and the whole comment is kept under GitHub's 65,536-character limit.
 */
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

function stackSection(s: StackPlan, limit: number): string[] {
  const c = s.counts;
  const out: string[] = [];
  const presence = s.presence === 'added' ? ' (new stack)' : s.presence === 'removed' ? ' (stack removed)' : '';
  out.push(`<details><summary>stack <b>${cell(s.stack)}</b>${presence}: +${c.create} ~${c.update} -/+${c.replace} -${c.delete}, ${s.hooksToRun} hook step${s.hooksToRun === 1 ? '' : 's'} to run</summary>`, '');
  if (s.resources.length === 0) out.push(`No Terraform changes (${s.resourceSource}).`, '');
  else {
    out.push(`Terraform changes, from the ${s.resourceSource}:`, '', '| | resource | construct | what |', '|---|---|---|---|');
    out.push(
      ...limited(
        s.resources,
        limit,
        (r) => {
          const what = r.action === 'replace' ? `replaced because ${r.replacedBecause.join(', ') || 'the provider requires it'}` : r.attributes.length ? r.attributes.slice(0, 8).join(', ') + (r.attributes.length > 8 ? ` (+${r.attributes.length - 8})` : '') : '';
          return `| ${ACTION_ICON[r.action]}${r.destructive ? ' 🔴' : ''} | ${code(r.address)} | ${cell(r.constructPath ?? '')} | ${cell(what)} |`;
        },
        (n) => `| | … and ${n} more | | |`,
      ),
      '',
    );
  }
  if (s.moves.length) {
    out.push('Possibly renamed constructs (Terraform destroys and re-creates these unless the stack declares the move):', '');
    out.push(...limited(s.moves, limit, (m) => `- ${code(m.from)} → ${code(m.to)}`, (n) => `- … and ${n} more`), '');
  }
  if (s.hooks.length) {
    out.push('Hook steps on deploy:', '', '| step | kind | on deploy | why |', '|---|---|---|---|');
    const order = (h: { action: string }) => (h.action === 'run' ? 0 : h.action === 'removed' ? 1 : 2);
    const sorted = [...s.hooks].sort((a, b) => order(a) - order(b));
    out.push(
      ...limited(
        sorted,
        limit,
        (h) => `| ${code(h.stepId)} | ${h.kind} | ${h.action === 'run' ? '**runs**' : h.action === 'removed' ? 'removed' : 'skipped'} | ${cell([h.reason, ...h.details].join('; '))} |`,
        (n) => `| … and ${n} more | | | |`,
      ),
      '',
    );
  }
  if (s.suppressions.length) {
    out.push('Policy suppressions:', '', '| rule | construct | reason |', '|---|---|---|');
    out.push(...limited(s.suppressions, limit, (x) => `| ${x.ruleId} | ${cell(x.path)} | ${cell(x.reason)} |`, (n) => `| … and ${n} more | | |`), '');
  }
  out.push('</details>', '');
  return out;
}

export function renderMarkdown(r: PlanReport, opts: { limit?: number } = {}): string {
  for (let limit = opts.limit ?? 50; ; limit = Math.floor(limit / 2)) {
    const text = renderWith(r, limit);
    if (text.length <= MAX_COMMENT_CHARS || limit <= 1) return text.length <= MAX_COMMENT_CHARS ? text : text.slice(0, MAX_COMMENT_CHARS - 40) + '\n\n… (truncated)\n';
  }
}

function renderWith(r: PlanReport, limit: number): string {
  const out: string[] = [COMMENT_MARKER, summaryLine(r), ''];
  const blocking = r.destructive.filter((d) => !d.allowed);
  if (r.destructive.length) {
    out.push(`🔴 **${r.destructive.length} destructive change${r.destructive.length === 1 ? '' : 's'}**${blocking.length ? (r.refused ? ' — refused: name them in an allow list to proceed' : '') : ' (all allowed)'}`, '', '```diff');
    out.push(
      ...limited(
        r.destructive,
        limit,
        (d) => `${d.allowed ? '!' : '-'} ${d.stack}: ${d.address}${d.constructPath ? ` (${d.constructPath})` : ''}: ${d.reason}${d.allowed ? ' [allowed]' : ''}`,
        (n) => `- … and ${n} more`,
      ),
      '```',
      '',
    );
  }
  out.push('| stack | add | change | replace | destroy | hook steps to run | Terraform source |', '|---|---:|---:|---:|---:|---:|---|');
  for (const s of r.stacks.slice(0, limit)) {
    out.push(`| ${cell(s.stack)} | ${s.counts.create} | ${s.counts.update} | ${s.counts.replace} | ${s.counts.delete} | ${s.hooksToRun} | ${s.resourceSource} |`);
  }
  if (r.stacks.length > limit) out.push(`| … and ${r.stacks.length - limit} more stacks | | | | | | |`);
  out.push('');
  for (const s of r.stacks.slice(0, limit)) out.push(...stackSection(s, limit));
  const warnings = r.stacks.flatMap((s) => s.warnings.map((w) => `${s.stack}: ${w}`));
  if (warnings.length) {
    out.push('**Warnings**', '', ...limited(warnings, limit, (w) => `- ${cell(w)}`, (n) => `- … and ${n} more`), '');
  }
  out.push(`<sub>base ${cell(r.base)} → head ${cell(r.head)}; hook steps assume every base step succeeded in the target account.</sub>`, '');
  return out.join('\n');
}
