"""The kernels, one module each: NAME.py holds kernel NAME's declaration and its Python rungs
(and the validating wrapper of its asm rung, whose raw loop is fastpath_thumb.NAME). Every
module here is a kernel (docs/adding-a-kernel.md); fastpath.KERNELS serves their rungs and
fastpath.NAME the fastest one, so a kernel's module is only ever fastpath.kernels.NAME.
"""
