#!/bin/sh
# quantctl user / apikey / secrets on a SQLite store: passwords come from
# stdin, never argv; secrets are sealed (not in the database file in
# clear), listed without values, rotated to a new master key; every change
# is in the audit log; bad input is refused with a message.
. "$QD_SRCDIR/tests/integration/lib.sh"
trap cleanup EXIT
Q=$QUANTCTL
DB=$T/auth.db
export QD_T_MK1=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
export QD_T_MK2=QkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkI=
export QUANTD_MASTER_KEYS=k1=env:QD_T_MK1

check "user add reads the password from stdin" sh -c \
	"echo 'a long password' | '$Q' user add alice --role admin --plan pro --db '$DB'"
check "a second user" sh -c \
	"echo 'another password' | '$Q' user add bob --db '$DB'"
check "a taken name is refused" sh -c \
	"! echo 'another password' | '$Q' user add bob --db '$DB'"
out=$(echo short | "$Q" user add carol --db "$DB" 2>&1)
check "a short password is refused with the rule" sh -c \
	"printf '%s' '$out' | grep -q 'at least 8'"
out=$("$Q" user list --json --db "$DB")
check "user list --json: roles and plans" sh -c "printf '%s' '$out' | \
	grep -q '\"name\":\"alice\",\"role\":\"admin\",\"plan\":\"pro\"' && \
	printf '%s' '$out' | grep -q '\"name\":\"bob\",\"role\":\"trader\",\"plan\":\"free\"'"
check "user role / plan / disable" sh -c "'$Q' user role bob viewer --db '$DB' && \
	'$Q' user plan bob enterprise --db '$DB' && '$Q' user disable bob --db '$DB'"
check "an unknown plan is refused" sh -c "! '$Q' user plan bob gold --db '$DB'"
check "user passwd" sh -c "echo 'a newer password' | '$Q' user passwd alice --db '$DB'"
check "no password in the database" sh -c "! grep -aq 'a long password' '$DB' && \
	! grep -aq 'a newer password' '$DB'"

out=$("$Q" apikey create alice --scopes read,trade --label bot --db "$DB")
secret=$(printf '%s\n' "$out" | sed -n 's/^secret: //p')
id=$(printf '%s\n' "$out" | sed -n 's/^id: *//p')
check "apikey create shows an id and a 64-hex secret once" sh -c \
	"printf '%s' '$secret' | grep -Eq '^[0-9a-f]{64}$' && printf '%s' '$id' | grep -q '^qk_'"
check "the key's secret is sealed, not stored in clear" sh -c "! grep -aq '$secret' '$DB'"
check "a viewer cannot get a trade key" sh -c \
	"! '$Q' apikey create bob --scopes trade --db '$DB'"
check "apikey create needs a master key" sh -c \
	"! QUANTD_MASTER_KEYS= '$Q' apikey create alice --db '$DB'"
check "apikey list shows the key, never its secret" sh -c \
	"'$Q' apikey list alice --db '$DB' | grep -q '$id' && \
	! '$Q' apikey list --json --db '$DB' | grep -q '$secret'"
check "apikey revoke" sh -c "'$Q' apikey revoke '$id' --db '$DB' && \
	'$Q' apikey list --db '$DB' | grep '$id' | grep -q revoked"

check "secrets set reads the value from stdin" sh -c \
	"echo 'venue-secret-value' | '$Q' secrets set binance.api_secret --db '$DB'"
check "secrets list: name and key id, no value" sh -c \
	"'$Q' secrets list --db '$DB' | grep -q 'binance.api_secret.*k1' && \
	! '$Q' secrets list --db '$DB' | grep -q venue-secret"
check "no secret value in the database" sh -c "! grep -aq venue-secret-value '$DB'"
out=$(QUANTD_MASTER_KEYS=k2=env:QD_T_MK2 "$Q" secrets rotate --db "$DB" 2>&1)
check "rotate without the old key is refused, naming it" sh -c \
	"printf '%s' '$out' | grep -q 'k1\" is not loaded'"
out=$("$Q" secrets rotate --keys k1=env:QD_T_MK1,k2=env:QD_T_MK2 --db "$DB")
check "rotate re-seals the credential and the API key secret" sh -c \
	"printf '%s' '$out' | grep -q '^2 secrets re-sealed under key k2'"
check "after rotation every credential is under k2" sh -c \
	"'$Q' secrets list --db '$DB' | grep -q 'binance.api_secret.*k2'"
check "a bad key is refused without echoing it" sh -c \
	"QD_T_BAD=0011 '$Q' secrets list --keys x=env:QD_T_BAD --db '$DB' 2>&1 | \
	grep -q '32 bytes' && ! QD_T_BAD=0011 '$Q' secrets list --keys x=env:QD_T_BAD \
	--db '$DB' 2>&1 | grep -q 0011"

audit=$(sqlite3 "$DB" 'SELECT action || ":" || target || ":" || ok FROM audit_log' 2>/dev/null)
for a in user.add:alice:1 user.role:bob:1 user.plan:bob:1 user.plan:bob:0 \
    user.disable:bob:1 password.change:alice:1 apikey.create:$id:1 \
    apikey.revoke:$id:1 secret.set:binance.api_secret:1 secrets.rotate:k2:1; do
	check "audit log has $a" sh -c "printf '%s\n' '$audit' | grep -qx '$a'"
done
check "user --help" sh -c "'$Q' user --help | grep -q 'never from the'"
check "an unknown subcommand is a usage error (2)" sh -c \
	"'$Q' apikey frob --db '$DB' 2>/dev/null; [ \$? -eq 2 ]"
finish
