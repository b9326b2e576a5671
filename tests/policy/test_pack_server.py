def test_the_pack_runs_in_the_projects_virtualenv():
    import yaml

    from stacks.config.loader import PROJECT_DIR

    pack = yaml.safe_load((PROJECT_DIR / "policy" / "PulumiPolicy.yaml").read_text())
    project = yaml.safe_load((PROJECT_DIR / "Pulumi.yaml").read_text())
    assert pack["runtime"]["name"] == "python"
    assert (PROJECT_DIR / "policy" / pack["runtime"]["options"]["virtualenv"]).resolve() == (
        PROJECT_DIR / project["runtime"]["options"]["virtualenv"]
    ).resolve()
