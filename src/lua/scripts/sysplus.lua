-- sysplus: on current firmware the mailbox helpers live in sys; sysplus names the same table.
return require "sys"
