// SPDX-License-Identifier: MIT
/*
 * minikvm_hello — a module to debug: gdb tests load it in a guest, then
 * find it with lx-symbols and break on minikvm_hello_poke().
 *
 * minikvm_hello_poke() runs once when the module loads and once more for
 * each write to /proc/minikvm_hello; reading that file gives the count:
 *
 *   insmod minikvm_hello.ko          # "minikvm_hello: poke 1 (init)"
 *   echo > /proc/minikvm_hello       # "minikvm_hello: poke 2 (write)"
 *   cat /proc/minikvm_hello          # "2"
 */
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/proc_fs.h>
#include <linux/uaccess.h>

/* Global so that gdb can watch it (watch minikvm_hello_pokes). */
unsigned long minikvm_hello_pokes;

/*
 * Not static and never inlined, so that the symbol exists under this very
 * name (no .constprop or .isra clone taking its place) for `break`.
 */
noinline void minikvm_hello_poke(const char *why)
{
	minikvm_hello_pokes++;
	pr_info("minikvm_hello: poke %lu (%s)\n", minikvm_hello_pokes, why);
}

static ssize_t minikvm_hello_write(struct file *file, const char __user *buf,
				   size_t len, loff_t *pos)
{
	minikvm_hello_poke("write");
	return len;
}

static ssize_t minikvm_hello_read(struct file *file, char __user *buf,
				  size_t len, loff_t *pos)
{
	char text[24];
	int n = scnprintf(text, sizeof(text), "%lu\n", minikvm_hello_pokes);

	return simple_read_from_buffer(buf, len, pos, text, n);
}

static const struct proc_ops minikvm_hello_ops = {
	.proc_read = minikvm_hello_read,
	.proc_write = minikvm_hello_write,
	.proc_lseek = default_llseek,
};

static int __init minikvm_hello_init(void)
{
	if (!proc_create("minikvm_hello", 0666, NULL, &minikvm_hello_ops))
		return -ENOMEM;
	minikvm_hello_poke("init");
	return 0;
}

static void __exit minikvm_hello_exit(void)
{
	remove_proc_entry("minikvm_hello", NULL);
	pr_info("minikvm_hello: unloaded after %lu pokes\n", minikvm_hello_pokes);
}

module_init(minikvm_hello_init);
module_exit(minikvm_hello_exit);
MODULE_DESCRIPTION("minikvm's test module: a function to break on");
MODULE_LICENSE("Dual MIT/GPL");
