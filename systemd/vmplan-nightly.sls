# Salt state: vmplan's nightly run on each minion (README, "Nightly runs").
#
# Keeps the minion's plan in vmplan's state directory and runs the nightly timer. The plan is
# served from the master, one per minion: salt://vmplan/plans/<minion id>.json by default
# (pillar vmplan:plan_source overrides it), made there with 'vmplan suggest --host
# <minion's host.json> -o ...'. When it changes, 'vmplan accept' keeps it (refusing a plan
# made for another machine, which fails this state) and writes the unit's CPUAffinity=
# drop-in; systemd then reloads. vmplan itself (the binary and its units) comes from the
# package or 'cmake --install' (pillar vmplan:package names a package to install).
# Installed as share/vmplan/salt/vmplan-nightly.sls: copy it to the master's file_roots as
# vmplan/nightly.sls and apply it with 'salt MINION state.apply vmplan.nightly'.
{%- set state_dir = salt['pillar.get']('vmplan:state_dir', '/var/lib/vmplan') %}
{%- set source = salt['pillar.get']('vmplan:plan_source',
                                    'salt://vmplan/plans/' ~ grains['id'] ~ '.json') %}
{%- set package = salt['pillar.get']('vmplan:package', '') %}

{%- if package %}
vmplan-package:
  pkg.installed:
    - name: {{ package }}
    - require_in:
      - cmd: vmplan-accept
      - service: vmplan-nightly-timer
{%- endif %}

vmplan-state-dir:
  file.directory:
    - name: {{ state_dir }}
    - user: root
    - group: root
    - mode: '0755'

# The plan as served; 'vmplan accept' copies it into plan.json with the host model.
vmplan-plan:
  file.managed:
    - name: {{ state_dir }}/plan.served.json
    - source: {{ source }}
    - user: root
    - group: root
    - mode: '0644'
    - require:
      - file: vmplan-state-dir

vmplan-accept:
  cmd.run:
    - name: vmplan accept --state-dir {{ state_dir }} {{ state_dir }}/plan.served.json
    - onchanges:
      - file: vmplan-plan

# The CPUAffinity= drop-in 'vmplan accept' wrote.
vmplan-daemon-reload:
  cmd.run:
    - name: systemctl daemon-reload
    - onchanges:
      - cmd: vmplan-accept

vmplan-nightly-timer:
  service.running:
    - name: vmplan-nightly.timer
    - enable: True
    - require:
      - cmd: vmplan-daemon-reload
