"""Ansible's own decisions for a playbook, without forking a worker per task.

ansible-playbook spends most of its time forking a worker for every task on every host; a matrix of
thousands of (host, task, --tags) cells would take an hour. This script loads the same inventory,
extra vars and playbook with ansible-core's classes and makes, per host and task, the calls the
real run makes (PlayIterator's tag filter, TaskExecutor's `when`, the debug action's templating):

  hosts      InventoryManager.get_hosts(play.hosts) narrowed by subset(--limit)
  tags       Block.filter_tagged_tasks(vars) with play.only_tags / play.skip_tags
  when       Task.evaluate_conditional(Templar(vars), vars), vars = VariableManager.get_vars(play, host, task),
             and each condition's type (`| type_debug`): ansible-core 2.19 refuses a condition that is not a bool
  debug msg  Templar(vars).template(msg)

A host whose task fails (an undefined variable in `when`, say) runs nothing more, as in a real run.
The TypeScript side (ansible-diff.ts) checks this oracle against real ansible-playbook runs.

Input (stdin, JSON): {inventory: [paths], playbook: path, extra_vars: [...],
                      runs: [{tags: [...], skip_tags: [...], limit: str|null}]}
Output (stdout, JSON): {runs: [{error: str|null, results: [{play, task, host, status, types, msg?}]}]}
"""
import json
import sys

from ansible import context
from ansible.errors import AnsibleError
from ansible.module_utils.common.collections import ImmutableDict
from ansible.parsing.dataloader import DataLoader
from ansible.inventory.manager import InventoryManager
from ansible.vars.manager import VariableManager
from ansible.playbook import Playbook
from ansible.playbook.block import Block
from ansible.template import Templar


def cli_args(extra_vars, tags, skip_tags):
    return ImmutableDict(
        extra_vars=tuple(extra_vars), tags=tuple(tags), skip_tags=tuple(skip_tags), check=False, diff=False,
        forks=5, verbosity=0, inventory=(), subset=None, become=False, connection='local', timeout=10,
    )


def tasks_of(block):
    for item in block.block + block.rescue + block.always:
        if isinstance(item, Block):
            yield from tasks_of(item)
        else:
            yield item


def condition_type(templar, condition):
    """The Python type of a condition's value ('bool', 'str', ...): ansible-core 2.19 requires 'bool'."""
    if isinstance(condition, bool):
        return 'bool'
    try:
        return templar.template('{{ (%s) | type_debug }}' % condition)
    except Exception:  # an undefined variable, a failing filter: the condition fails either way
        return 'error'


class Oracle:
    """One loaded playbook; each cell's `when` is evaluated once, whatever the tags of a run."""

    def __init__(self, request):
        context.CLIARGS = cli_args(request.get('extra_vars', []), [], [])
        self.loader = DataLoader()
        self.inventory = InventoryManager(loader=self.loader, sources=request['inventory'])
        self.variable_manager = VariableManager(loader=self.loader, inventory=self.inventory)
        self.plays = Playbook.load(request['playbook'], variable_manager=self.variable_manager, loader=self.loader).get_plays()
        self.cells = {}

    def cell(self, play, task, host, names):
        key = (id(play), task._uuid, host.name)
        if key not in self.cells:
            task_vars = self.variable_manager.get_vars(play=play, host=host, task=task, _hosts=names, _hosts_all=names)
            templar = Templar(loader=self.loader, variables=task_vars)
            types = [condition_type(templar, c) for c in task.when]
            try:
                if not task.evaluate_conditional(templar, task_vars):
                    self.cells[key] = ('skipped', None, types)
                else:
                    self.cells[key] = ('ran', templar.template(task.args['msg']) if 'msg' in task.args else None, types)
            except AnsibleError as err:
                self.cells[key] = ('failed', str(err.message), types)
        return self.cells[key]

    def run(self, tags, skip_tags, limit):
        self.inventory.subset(limit)
        self.inventory.clear_pattern_cache()
        results = []
        failed = set()
        for index, play in enumerate(self.plays):
            play_vars = self.variable_manager.get_vars(play=play)
            play.post_validate(Templar(loader=self.loader, variables=play_vars))
            play.only_tags = set(tags) or frozenset(('all',))
            play.skip_tags = set(skip_tags)
            hosts = [h for h in self.inventory.get_hosts(play.hosts, order=play.order) if h.name not in failed]
            names = [h.name for h in hosts]
            for block in play.compile():
                for task in tasks_of(block.filter_tagged_tasks(play_vars)):
                    if task.action in ('meta', 'ansible.builtin.meta'):
                        continue
                    for host in hosts:
                        if host.name in failed:
                            continue
                        status, msg, types = self.cell(play, task, host, names)
                        record = {'play': index, 'task': task.get_name(), 'host': host.name, 'status': status, 'types': types}
                        if msg is not None:
                            record['msg'] = msg
                        if status == 'failed':
                            failed.add(host.name)
                        results.append(record)
        return results


def main():
    request = json.load(sys.stdin)
    try:
        oracle = Oracle(request)
    except AnsibleError as err:
        json.dump({'runs': [{'error': str(err.message), 'results': []} for _ in request['runs']]}, sys.stdout)
        return
    runs = []
    for run in request['runs']:
        try:
            results = oracle.run(run.get('tags', []), run.get('skip_tags', []), run.get('limit'))
            runs.append({'error': None, 'results': results})
        except AnsibleError as err:
            runs.append({'error': str(err.message), 'results': []})
        except Exception as err:  # ansible-playbook dies with a traceback on some inputs (`-l '!::1'`)
            runs.append({'error': f'{type(err).__name__}: {err}', 'results': []})
    json.dump({'runs': runs}, sys.stdout, default=repr)


if __name__ == '__main__':
    main()
