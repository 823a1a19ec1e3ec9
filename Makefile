# partner-ledger developer entry points. The logic lives in infra/local/*.sh.
#   make run    the whole API on http://127.0.0.1:$(PORT) (default 9000) against a local DynamoDB
#               emulator on $(DYNAMODB_PORT) (default 8000), with a dev key in .local/dev-api-key
#   make test   everything CI checks (.ci/run calls exactly this)
#   make bench    the benchmark report against its own emulator
#   make package  every function's arm64 bootstrap (one cargo invocation), `sam build`, `sam validate --lint`
#   make deploy   make package, then `sam deploy` (guided the first time)
#   make clean    remove the venv, .local, .aws-sam and target/

.PHONY: run test bench package deploy venv clean

run:
	@bash infra/local/run.sh

test:
	@bash infra/local/test.sh

bench:
	@bash infra/local/bench.sh

package:
	@bash infra/local/package.sh package

deploy:
	@bash infra/local/package.sh deploy

venv:
	@bash infra/local/venv.sh test

clean:
	rm -rf .venv .local .aws-sam
	cargo clean

# SAM's makefile build method (BuildMethod: makefile in template.yaml, built in source): one target
# per function, copying the bootstrap `make package` built into SAM's artifacts directory.
copy_bootstrap = @bash infra/local/package.sh copy $(1) "$(ARTIFACTS_DIR)"
build-PartnerGroupsFunction: ; $(call copy_bootstrap,partner-groups)
build-PartnersFunction: ; $(call copy_bootstrap,partners)
build-PortalFunction: ; $(call copy_bootstrap,portal)
build-CampaignsFunction: ; $(call copy_bootstrap,campaigns)
build-ReferralsFunction: ; $(call copy_bootstrap,referrals)
build-CommissionsFunction: ; $(call copy_bootstrap,commissions)
build-PaymentEventsFunction: ; $(call copy_bootstrap,payment-events)
build-EventsFunction: ; $(call copy_bootstrap,events)
build-PayoutsFunction: ; $(call copy_bootstrap,payouts)
build-PayoutRunFunction: ; $(call copy_bootstrap,payout-run)
build-FxRatesFetchFunction: ; $(call copy_bootstrap,fx-rates-fetch)
build-AccountFunction: ; $(call copy_bootstrap,account)
build-WebhookEndpointsFunction: ; $(call copy_bootstrap,webhook-endpoints)
build-WebhookDispatcherFunction: ; $(call copy_bootstrap,webhook-dispatcher)
build-ClicksFunction: ; $(call copy_bootstrap,clicks)
build-OpenApiFunction: ; $(call copy_bootstrap,openapi)
