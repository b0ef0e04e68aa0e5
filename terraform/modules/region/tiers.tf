# The edge and core tiers: each an auto-scaling group behind a network load balancer.
#
# Edges sit behind an internet-facing load balancer that passes TCP 443 through to them: they
# terminate TLS themselves (rustls), so the certificate's key never leaves them. Cores sit behind
# an internal load balancer that this region's edges use, and other regions' edges reach over the
# core network when they fail over or write for a shopper of this region. Both load balancers
# check /readyz: a core is ready when its database answers; an edge's /readyz goes to a core (its
# region's, or a failover region's), so an edge is ready when it can serve.
#
# Rollouts: a new release changes the launch template; the group replaces its instances by
# instance refresh, keeping min_healthy_percentage of them in service, and a new instance counts
# only once its load balancer finds it ready.

locals {
  tiers = {
    edge = {
      capacity        = var.edge
      subnets         = [for i in range(3) : aws_subnet.private["edge-${i}"].id]
      lb_internal     = false
      lb_subnets      = aws_subnet.public[*].id
      lb_port         = local.https_port
      target_port     = local.edge_port
      health_protocol = "HTTPS"
      description     = "Edges (TLS passthrough)"
    }
    core = {
      capacity        = var.core
      subnets         = [for i in range(3) : aws_subnet.private["core-${i}"].id]
      lb_internal     = true
      lb_subnets      = [for i in range(3) : aws_subnet.private["core-${i}"].id]
      lb_port         = local.core_port
      target_port     = local.core_port
      health_protocol = "HTTP"
      description     = "Cores (internal)"
    }
  }

  core_endpoint = "${aws_lb.this["core"].dns_name}:${local.core_port}"

  # What each process reads at boot (the image's systemd units load /etc/shop/<role>.env). No
  # secret here: processes fetch them from Secrets Manager by ARN.
  tier_environment = {
    edge = {
      SHOP_ROLE           = "edge"
      SHOP_REGION         = var.name
      SHOP_TLS_LISTEN     = "0.0.0.0:${local.edge_port}"
      SHOP_TLS_SECRET_ARN = aws_secretsmanager_secret.this["edge-tls"].arn
      SHOP_CORE           = local.core_endpoint
      SHOP_FAILOVER_CORES = join(",", [for p in local.peers_in_failover_order : "${p.name}=${p.core_endpoint}"])
      SHOP_LOG_GROUP      = aws_cloudwatch_log_group.this["edge"].name
    }
    core = {
      SHOP_ROLE               = "core"
      SHOP_REGION             = var.name
      SHOP_LISTEN             = "0.0.0.0:${local.core_port}"
      SHOP_DATABASE_HOSTS     = join(",", local.database_addresses)
      SHOP_DATABASE_CERTS_ARN = aws_secretsmanager_secret.this["database-client-certs"].arn
      SHOP_SESSION_KEYS_ARN   = aws_secretsmanager_secret.this["session-token-keys"].arn
      SHOP_PARTNER_KEYS_ARN   = aws_secretsmanager_secret.this["partner-keys"].arn
      SHOP_LOG_GROUP          = aws_cloudwatch_log_group.this["core"].name
    }
  }
}

data "aws_ami" "platform" {
  most_recent = true
  owners      = var.image_owners

  filter {
    name   = "name"
    values = ["${var.image_name}-${var.release}-arm64"]
  }

  filter {
    name   = "architecture"
    values = ["arm64"]
  }
}

resource "aws_lb" "this" {
  #checkov:skip=CKV_AWS_91:These load balancers pass TCP through (TLS ends on the edges); NLB access logs cover TLS listeners only, so there is nothing to log. Edges log every request, and VPC flow logs record every connection.
  for_each = local.tiers

  name                             = "${local.prefix}-${each.key}"
  load_balancer_type               = "network"
  internal                         = each.value.lb_internal
  subnets                          = each.value.lb_subnets
  security_groups                  = [each.key == "edge" ? aws_security_group.this["edge_lb"].id : aws_security_group.this["core_lb"].id]
  enable_cross_zone_load_balancing = true
  enable_deletion_protection       = var.deletion_protection

  tags = local.tier_tags[each.key]
}

resource "aws_lb_target_group" "this" {
  for_each = local.tiers

  name                 = "${local.prefix}-${each.key}"
  vpc_id               = aws_vpc.this.id
  target_type          = "instance"
  protocol             = "TCP"
  port                 = each.value.target_port
  deregistration_delay = 30

  health_check {
    protocol            = each.value.health_protocol
    port                = "traffic-port"
    path                = "/readyz"
    matcher             = "200"
    interval            = 10
    healthy_threshold   = 2
    unhealthy_threshold = 2
  }

  tags = local.tier_tags[each.key]
}

resource "aws_lb_listener" "this" {
  for_each = local.tiers

  load_balancer_arn = aws_lb.this[each.key].arn
  protocol          = "TCP"
  port              = each.value.lb_port

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.this[each.key].arn
  }

  tags = local.tier_tags[each.key]
}

resource "aws_launch_template" "this" {
  for_each = local.tiers

  name                   = "${local.prefix}-${each.key}"
  description            = each.value.description
  image_id               = data.aws_ami.platform.id
  instance_type          = each.value.capacity.instance_type
  ebs_optimized          = true
  update_default_version = true
  vpc_security_group_ids = [each.key == "edge" ? aws_security_group.this["edge"].id : aws_security_group.this["core"].id]
  user_data              = base64encode(templatefile("${path.module}/templates/boot.sh.tftpl", { role = each.key, environment = local.tier_environment[each.key], data_volume_id = null }))

  iam_instance_profile {
    arn = aws_iam_instance_profile.this[each.key].arn
  }

  # IMDSv2 only, and not reachable from containers or forwarded hops.
  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
    instance_metadata_tags      = "disabled"
  }

  block_device_mappings {
    device_name = "/dev/xvda"

    ebs {
      volume_type           = "gp3"
      volume_size           = each.value.capacity.volume_size_gib
      encrypted             = true
      kms_key_id            = aws_kms_key.this["ebs"].arn
      delete_on_termination = true
    }
  }

  monitoring {
    enabled = true
  }

  tag_specifications {
    resource_type = "instance"
    tags          = local.tier_tags[each.key]
  }

  tag_specifications {
    resource_type = "volume"
    tags          = local.tier_tags[each.key]
  }

  tags = local.tier_tags[each.key]
}

resource "aws_autoscaling_group" "this" {
  for_each = local.tiers

  name                      = "${local.prefix}-${each.key}"
  vpc_zone_identifier       = each.value.subnets
  min_size                  = each.value.capacity.min_size
  max_size                  = each.value.capacity.max_size
  desired_capacity          = each.value.capacity.desired_capacity
  target_group_arns         = [aws_lb_target_group.this[each.key].arn]
  health_check_type         = "ELB"
  health_check_grace_period = 120
  default_instance_warmup   = 60
  wait_for_capacity_timeout = "15m"
  termination_policies      = ["OldestLaunchTemplate", "OldestInstance"]
  enabled_metrics           = ["GroupInServiceInstances", "GroupDesiredCapacity", "GroupPendingInstances", "GroupTerminatingInstances"]

  launch_template {
    id      = aws_launch_template.this[each.key].id
    version = aws_launch_template.this[each.key].latest_version
  }

  instance_maintenance_policy {
    min_healthy_percentage = var.min_healthy_percentage
    max_healthy_percentage = 200
  }

  instance_refresh {
    strategy = "Rolling"

    preferences {
      min_healthy_percentage = var.min_healthy_percentage
      max_healthy_percentage = 200
      instance_warmup        = 60
      skip_matching          = true
      auto_rollback          = true
    }
  }

  dynamic "tag" {
    for_each = local.tier_tags[each.key]

    content {
      key                 = tag.key
      value               = tag.value
      propagate_at_launch = true
    }
  }

  lifecycle {
    # Target tracking moves the desired capacity; a plan should not move it back.
    ignore_changes = [desired_capacity]
  }
}

resource "aws_autoscaling_policy" "cpu" {
  for_each = local.tiers

  name                   = "${local.prefix}-${each.key}-cpu"
  autoscaling_group_name = aws_autoscaling_group.this[each.key].name
  policy_type            = "TargetTrackingScaling"

  target_tracking_configuration {
    target_value = each.value.capacity.cpu_target

    predefined_metric_specification {
      predefined_metric_type = "ASGAverageCPUUtilization"
    }
  }
}
