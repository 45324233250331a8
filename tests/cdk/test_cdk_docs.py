"""docs/deploy.md documents every context setting of the CDK kit."""

from sw_cdkhelpers import ROOT, cdk_app, target_block

DEPLOY = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")


def test_every_short_context_key_is_documented():
    for key, path in cdk_app.OVERRIDES.items():
        assert f"`{key}`" in DEPLOY, key
        assert f"`{'.'.join(path)}`" in DEPLOY or f"`{path[-1]}`" in DEPLOY, path


def test_every_block_of_the_target_settings_is_documented():
    for target in ("local", "aws"):
        for name, value in target_block(target).items():
            assert f"`{name}`" in DEPLOY or f"`{name}." in DEPLOY, (target, name)


def test_deploy_doc_covers_both_targets_and_the_images():
    for text in ("## Deploy to LocalStack", "## Deploy to AWS", "AWS_ENDPOINT_URL_S3", "npx cdk bootstrap",
                 "containers/serving/", "containers/analyzer/", "make install"):
        assert text in DEPLOY, text
