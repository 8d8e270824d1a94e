def case_steps_for(**kwargs):
    return {}
