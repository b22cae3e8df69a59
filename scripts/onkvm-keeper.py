#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Hold KVM's local-APIC static keys steady in the emulated host.

    onkvm-keeper.py        (runs until killed; scripts/onkvm starts it inside
                            the emulated host, beside the command, with
                            ONKVM_KEEPER=1)

KVM counts vCPUs whose local APIC is software-disabled (every new vCPU's is,
until its guest enables it) and those whose APIC is hardware-disabled, in
two static keys. Each time a count goes from 0 to 1 or back, the host kernel
rewrites its own code (text_poke_bp: an int3 over each site, IPIs to every
CPU, then the new bytes). The test suite creates and destroys VMs hundreds
of times, so the emulated host patches its text all the time, and both
post-mortems of a frozen host so far found its CPUs in that machinery (one
in smp_call_function_many_cond waiting for the other, stuck at its int3
handler; both in the int3 handler). This keeper makes one VM with an
in-kernel irqchip and two vCPUs that never run: one keeps its APIC
software-disabled, the other gets its APIC hardware-disabled. Both counts
then stay at 1 or more, and VMs coming and going no longer patch the host's
code: in eight VM runs the host patched its text 10 times instead of 42.
It did not stop the freezes (one came with it on, the same way), so onkvm
starts it only when asked. It costs a VM's few pages; its vCPUs never run.
Exit status 0 when killed (SIGTERM), 1 if KVM refused (said on stderr).
"""
import fcntl
import os
import signal
import struct
import sys

KVM_CREATE_VM = 0xAE01
KVM_CREATE_VCPU = 0xAE41
KVM_CREATE_IRQCHIP = 0xAE60
KVM_SET_MSRS = 0x4008AE89      # _IOW(KVMIO, 0x89, struct kvm_msrs)
MSR_IA32_APICBASE = 0x1B


def main():
    try:
        kvm = os.open("/dev/kvm", os.O_RDWR | os.O_CLOEXEC)
        vm = fcntl.ioctl(kvm, KVM_CREATE_VM, 0)
        fcntl.ioctl(vm, KVM_CREATE_IRQCHIP, 0)
        fcntl.ioctl(vm, KVM_CREATE_VCPU, 0)           # APIC software-disabled from reset
        vcpu1 = fcntl.ioctl(vm, KVM_CREATE_VCPU, 1)
        # struct kvm_msrs { u32 nmsrs, pad; struct kvm_msr_entry { u32 index, reserved; u64 data; } }
        msrs = bytearray(struct.pack("=IIIIQ", 1, 0, MSR_IA32_APICBASE, 0, 0))
        if fcntl.ioctl(vcpu1, KVM_SET_MSRS, msrs) != 1:  # APIC base with EN clear: hardware-disabled
            raise OSError("KVM_SET_MSRS did not take IA32_APIC_BASE")
    except OSError as e:
        sys.stderr.write("onkvm-keeper: %s\n" % e)
        return 1
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    while True:
        signal.pause()


if __name__ == "__main__":
    sys.exit(main())
