#!/usr/bin/perl
# pack-elf.pl IN OUT: rewrite a 64-bit little-endian ELF executable so the
# file holds only what must be loaded: each PT_LOAD segment loses its
# trailing zero bytes (p_filesz shrinks; the loader zero-fills up to
# p_memsz), segments are packed at 4 KiB-aligned offsets (offset = vaddr
# mod 4 KiB), PT_NOTE headers follow the segment that holds them, and the
# section headers are dropped.  For Debian's vmlinux (66 MB, .bss and
# alignment stored as zeros) this gives ~35 MB, small enough for xl in a
# 192 MB dom0 to map it without a gunzip copy.
use strict;
use warnings;
die "usage: pack-elf.pl IN OUT\n" unless @ARGV == 2;
my ($in, $out) = @ARGV;
open(my $fh, '<:raw', $in) or die "pack-elf: $in: $!\n";
my $f = do { local $/; <$fh> };
close $fh;
die "pack-elf: $in: not a 64-bit little-endian ELF\n"
    unless substr($f, 0, 6) eq "\x7fELF\x02\x01";
my ($phoff) = unpack('Q<', substr($f, 0x20, 8));
my ($phentsize, $phnum) = unpack('S<S<', substr($f, 0x36, 4));
my @ph;
for my $i (0 .. $phnum - 1) {
    my @v = unpack('L<L<Q<Q<Q<Q<Q<Q<', substr($f, $phoff + $i * $phentsize, 56));
    push @ph, { type => $v[0], flags => $v[1], off => $v[2], vaddr => $v[3], paddr => $v[4],
                filesz => $v[5], memsz => $v[6], align => $v[7] };
}
my $hdr_end = $phoff + $phnum * $phentsize;
my $pos = $hdr_end;
my $body = '';
my @moves;    # [old_off, old_end, new_off]
for my $p (grep { $_->{type} == 1 } @ph) {
    my $seg = substr($f, $p->{off}, $p->{filesz});
    $seg =~ s/\0+\z//;
    my $len = length($seg);
    $len = ($len + 15) & ~15;
    $len = $p->{filesz} if $len > $p->{filesz};
    my $want = $p->{vaddr} % 4096;
    $pos += ($want - $pos % 4096) % 4096;
    push @moves, [$p->{off}, $p->{off} + $p->{filesz}, $pos];
    $body .= "\0" x ($pos - $hdr_end - length($body));
    $body .= substr($f, $p->{off}, $len);
    $p->{off} = $pos;
    $p->{filesz} = $len;
    $pos += $len;
}
for my $p (grep { $_->{type} != 1 } @ph) {
    my ($m) = grep { $p->{off} >= $_->[0] && $p->{off} + $p->{filesz} <= $_->[1] } @moves;
    if ($m) { $p->{off} = $p->{off} - $m->[0] + $m->[2]; }
    elsif ($p->{filesz}) { die sprintf("pack-elf: segment type %#x at %#x lies in no PT_LOAD\n", $p->{type}, $p->{off}); }
}
my $eh = substr($f, 0, 64);
substr($eh, 0x28, 8) = pack('Q<', 0);       # e_shoff
substr($eh, 0x3c, 4) = pack('S<S<', 0, 0);  # e_shnum, e_shstrndx
my $phdrs = substr($f, 64, $phoff - 64);
for my $p (@ph) {
    $phdrs .= pack('L<L<Q<Q<Q<Q<Q<Q<', @$p{qw(type flags off vaddr paddr filesz memsz align)});
    $phdrs .= "\0" x ($phentsize - 56);
}
open(my $oh, '>:raw', "$out.tmp") or die "pack-elf: $out.tmp: $!\n";
print $oh $eh, $phdrs, $body;
close $oh or die "pack-elf: $out.tmp: $!\n";
rename "$out.tmp", $out or die "pack-elf: $out: $!\n";
printf "pack-elf: %s: %d -> %d bytes\n", $out, length($f), 64 + length($phdrs) + length($body);
