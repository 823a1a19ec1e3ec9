# partner-ledger developer entry points. The logic lives in infra/local/*.sh.
#   make run    the whole API on http://127.0.0.1:$(PORT) (default 9000) against a local DynamoDB
#               emulator on $(DYNAMODB_PORT) (default 8000), with a dev key in .local/dev-api-key
#   make test   everything CI checks (.ci/run calls exactly this)
#   make bench  the benchmark report against its own emulator
#   make clean  remove the venv, .local and target/

.PHONY: run test bench venv clean

run:
	@bash infra/local/run.sh

test:
	@bash infra/local/test.sh

bench:
	@bash infra/local/bench.sh

venv:
	@bash infra/local/venv.sh test

clean:
	rm -rf .venv .local
	cargo clean
