# nosharepages and locked: Salt's update does not count adding them as a change, so a
# domain that already exists without them gets them only together with another change
# (vmplan export --define URI writes them at once).
"rt":
  virt.defined:
  - cpu:
      placement: static
      cpuset: "2,4,10,12"
      maximum: 4
      mode: host-passthrough
      topology:
        sockets: 2
        cores: 2
        threads: 1
      numa:
        0:
          cpus: "0-1"
          memory: 2GiB
        1:
          cpus: "2-3"
          memory: 2GiB
      tuning:
        vcpupin:
          0: "2"
          1: "4"
          2: "10"
          3: "12"
        emulatorpin: "0-1"
        iothreadpin:
          1: "0"
          2: "1,8"
        shares: 2048
        period: 100000
        quota: 50000
        global_period: null
        global_quota: null
        emulator_period: null
        emulator_quota: null
        iothread_period: null
        iothread_quota: null
        vcpusched:
        - scheduler: fifo
          priority: 10
          vcpus: "0"
        - scheduler: fifo
          priority: 10
          vcpus: "1"
        - scheduler: fifo
          priority: 10
          vcpus: "2"
        - scheduler: fifo
          priority: 10
          vcpus: "3"
        iothreadsched: null
        emulatorsched: null
        cachetune:
          "0-3":
            0:
              level: 3
              type: both
              size: 4
              unit: MiB
            1:
              level: 3
              type: both
              size: 4
              unit: MiB
        memorytune:
          "0-3":
            0: 50
            1: 50
      iothreads: 2
  - mem:
      boot: 4GiB
      current: 4GiB
      hugepages:
      - nodeset: "0-1"
        size: 2MiB
      nosharepages: true
      locked: true
      hard_limit: 6GiB
      soft_limit: 5GiB
      swap_hard_limit: 7GiB
      min_guarantee: null
      source: null
      access: null
      allocation: null
  - numatune:
      memory:
        mode: strict
        nodeset: "0-1"
      memnodes:
        0:
          mode: strict
          nodeset: "0"
        1:
          mode: strict
          nodeset: "1"
  - boot:
      efi: true
  - vm_type: "kvm"
"pool":
  virt.defined:
  - cpu:
      placement: static
      cpuset: "5-7"
      maximum: 2
      mode: host-passthrough
      topology:
        sockets: 1
        cores: 2
        threads: 1
      numa:
        0:
          cpus: "0-1"
          memory: 1GiB
      tuning:
        vcpupin: null
        emulatorpin: "5-7"
        iothreadpin: null
        shares: 512
        period: null
        quota: -1
        global_period: null
        global_quota: null
        emulator_period: null
        emulator_quota: null
        iothread_period: null
        iothread_quota: null
        vcpusched: null
        iothreadsched: null
        emulatorsched: null
        cachetune: null
        memorytune: null
  - mem:
      boot: 1GiB
      current: 1GiB
      hugepages: null
      hard_limit: null
      soft_limit: null
      swap_hard_limit: null
      min_guarantee: null
      source: null
      access: null
      allocation: null
  - numatune:
      memory:
        mode: preferred
        nodeset: "0"
      memnodes:
        0:
          mode: preferred
          nodeset: "0"
  - vm_type: "kvm"
