"""Output helpers of the stand-in etcdctl and etcdutl: etcd's tables (olekukonko/tablewriter with
ALIGN_RIGHT, as etcd's table printers set it), its zap-style log lines, Go durations."""
import datetime
import json
import sys


def table(header, rows):
    """+---+ framed table: headers upper-cased and centred, cells right-aligned, one space of padding."""
    header = [h.upper() for h in header]
    widths = [max([len(h)] + [len(str(r[i])) for r in rows]) for i, h in enumerate(header)]
    line = '+' + '+'.join('-' * (w + 2) for w in widths) + '+'

    def centre(text, w):
        gap = w - len(text)
        return ' ' * (gap // 2) + text + ' ' * (gap - gap // 2)
    out = [line, '| ' + ' | '.join(centre(h, w) for h, w in zip(header, widths)) + ' |', line]
    for r in rows:
        out.append('| ' + ' | '.join(str(c).rjust(w) for c, w in zip(r, widths)) + ' |')
    out.append(line)
    return '\n'.join(out)


def zap(level, caller, msg, logger=None, **fields):
    """A JSON log line as etcdctl's zap logger writes it (stderr)."""
    rec = {'level': level, 'ts': datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%S.%fZ'),
           'caller': caller, 'msg': msg}
    if logger:
        rec = dict(list(rec.items())[:2] + [('logger', logger)] + list(rec.items())[2:])
    rec.update(fields)
    sys.stderr.write(json.dumps(rec, separators=(',', ':')) + '\n')
    sys.stderr.flush()


def console(level, caller, msg, **fields):
    """A console log line as etcdutl's zap logger writes it (stderr)."""
    ts = datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%S.%fZ')
    sys.stderr.write('%s\t%s\t%s\t%s\t%s\n' % (ts, level, caller, msg, json.dumps(fields, separators=(', ', ': '))))
    sys.stderr.flush()


def go_duration(seconds):
    """Go's Duration.String() for sub-minute times: 9.312817ms, 1.2s."""
    if seconds < 1e-3:
        return '%gµs' % round(seconds * 1e6, 3)
    if seconds < 1:
        return ('%.6f' % (seconds * 1e3)).rstrip('0').rstrip('.') + 'ms'
    return ('%.9f' % seconds).rstrip('0').rstrip('.') + 's'
